// y[T, N] = x[T, K] . W[N, K]^T, the one matrix product of the forward pass.
//
// x and y are float32 row-major; W is a checkpoint weight in its stored dtype, used in place.
// F32 and BF16 weights go to oneDNN (AMX or AVX-512 BF16 where the CPU has them; see
// onednn.h). Where oneDNN cannot run BF16, our kernels do: AVX-512 BF16 dot products, or
// AVX2 + FMA with the weights widened in registers (the CPUs without AVX-512; oneDNN is not
// asked there). Everything else (F16, CPUs without AVX2) converts panels of W to float32 on
// the fly (256 rows at a time, never the whole matrix) for a float32 matmul. On AVX2 CPUs
// the CPU backend repacks BF16 matrices at load (packed_bf16.h): those take our packed
// kernel. The ISA is cpu_isa.h's: INFILLD_CPU_ISA=avx2 forces the AVX2 path on a bigger
// machine. Q8_0 weights
// (quantized at load, quantize.h) take our integer kernels for a few rows, float32 panels
// for many.
#pragma once

#include <cstdint>

#include "kernels/cpu/weight.h"

namespace infilld::kernels {

void matmul(const float* x, int64_t n_rows, const Weight& w, float* y);

// The paths behind matmul, exposed so that tests can compare them with each other.
void matmul_converted_panels(const float* x, int64_t n_rows, const Weight& w, float* y);
bool cpu_has_avx512_bf16();
void matmul_bf16_avx512(const float* x, int64_t n_rows, const Weight& w, float* y);
bool cpu_has_avx2_fma();
void matmul_bf16_avx2(const float* x, int64_t n_rows, const Weight& w, float* y);

}  // namespace infilld::kernels
