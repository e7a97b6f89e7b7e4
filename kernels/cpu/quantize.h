// 8-bit weights (`--quantize q8`): BF16, F16 or F32 matrices quantized once at load into
// Q8_0 (weight.h: each run of 32 values of a row is one F16 scale d = max|v| / 127 and 32
// int8 values q = round(v / d)), about half the bytes of BF16 (34 per 32 values), which is
// what bounds a keystroke's forward (a few rows, every weight read once).
//
// The matmul (matmul.h) quantizes the activations the same way, once per call, and sums
// integer products per block: x . w = sum over blocks of dx * dw * (qx . qw). The AVX2
// kernel (matmul_q8_avx2.cpp) and the portable one here compute exactly that; they differ
// only in the order of float additions.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/weight.h"

namespace infilld::kernels {

// Whether w can be quantized: a matrix of F32, F16 or BF16 whose rows are whole blocks.
bool can_quantize_q8(const Weight& w);

// Quantizes w (can_quantize_q8) into `storage`, resized; returns the Q8_0 weight that
// points into it. Uses threads of its own (about one per MiB, up to the cores).
Weight quantize_q8(const Weight& w, std::vector<std::byte>& storage);

// n values (a multiple of 32) of Q8_0 blocks back to float32.
void dequantize_q8(const std::byte* blocks, int64_t n, float* dst);

// Activations quantized per block of 32: q [rows, cols] and one float scale per block
// [rows, cols / 32]. cols must be a multiple of 32.
struct QuantizedRows {
  std::vector<int8_t> q;
  std::vector<float> scale;
};
void quantize_rows_q8(const float* x, int64_t rows, int64_t cols, QuantizedRows& out);

// y[T, N] = x[T, K] . W[N, K]^T for a Q8_0 W, in portable code (CPUs without AVX2).
void matmul_q8_portable(const float* x, int64_t n_rows, const Weight& w, float* y);
// The same with AVX2 (maddubs on int8 pairs); matmul.h chooses.
void matmul_q8_avx2(const float* x, int64_t n_rows, const Weight& w, float* y);

// float32 -> F16 bits, round to nearest even (the scales).
uint16_t f32_to_f16(float f);

}  // namespace infilld::kernels
