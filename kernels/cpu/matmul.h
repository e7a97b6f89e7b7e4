// y[T, N] = x[T, K] . W[N, K]^T, the one matrix product of the forward pass.
//
// x and y are float32 row-major; W is a checkpoint weight in its stored dtype.
// F32 weights go to the BLAS (OpenBLAS sgemm, both cores); BF16 weights use our AVX-512 BF16
// kernel where the CPU has it; everything else converts panels of W to float32 on the fly
// (a few rows at a time, never the whole matrix) and calls sgemm.
#pragma once

#include <cstdint>

#include "kernels/cpu/weight.h"

namespace infilld::kernels {

void matmul(const float* x, int64_t n_rows, const Weight& w, float* y);

// The paths behind matmul, exposed so that tests can compare them with each other.
void matmul_f32_blas(const float* x, int64_t n_rows, const Weight& w, float* y);
void matmul_converted_panels(const float* x, int64_t n_rows, const Weight& w, float* y);
bool cpu_has_avx512_bf16();
void matmul_bf16_avx512(const float* x, int64_t n_rows, const Weight& w, float* y);

}  // namespace infilld::kernels
