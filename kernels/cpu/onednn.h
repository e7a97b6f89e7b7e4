// Matrix products through oneDNN, the CPU BLAS chosen by measurement (docs/decisions.md):
// on AMX machines its BF16 matmul runs 5-15x faster than any alternative we measured.
//
// Every oneDNN call of the project lives in onednn.cpp, because oneDNN 3 changed the API
// that Debian 12's oneDNN 2.6 has. Primitives are created once per shape and cached.
// Weights are used in place, inside the checkpoint's mapping (no reordered copy).
// Which thread may call what: the engine worker thread (the cache is locked all the same).
#pragma once

#include <cstdint>

#include "kernels/cpu/weight.h"

namespace infilld::kernels::onednn {

// Sizes OpenMP's team (oneDNN's threads) for a pass of about `work` multiply-adds: one
// thread for tiny models, where waking the second core costs more than it saves (and, when
// that core is busy with an editor or a compiler, a parallel region waits a whole scheduler
// slice for it), every core otherwise. Set once per forward pass: switching the team size
// between ops costs more than it saves. Call from the engine worker thread.
void size_team_for(double work);

// y[M, N] = x[M, K] . W[N, K]^T with W (F32 or BF16) in its stored dtype. For BF16 weights
// the activations are rounded to BF16, products accumulate in float32. Returns false when
// oneDNN has no implementation for that dtype on this CPU, or for F16 (the caller falls back).
bool linear(const float* x, int64_t m, const Weight& w, float* y);

// C[M, N] = A[M, K] . B, all float32 row-major with leading dimensions lda, ldb, ldc.
// B is stored [N, K] (and used transposed) when b_transposed, else [K, N]. Falls back to a
// plain loop should oneDNN refuse.
void gemm_f32(bool b_transposed, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc);

// In place over each of `rows` rows of `cols` floats: x = softmax(x) (entries of -inf
// become exact zeros).
void softmax_rows(float* x, int64_t rows, int64_t cols);

// In place over n floats: x = x * sigmoid(x) (SiLU, the gate of SwiGLU).
void silu(float* x, int64_t n);

// dst[i] = bf16(src[i]) with round to nearest even, for n floats.
void to_bf16(const float* src, int64_t n, uint16_t* dst);

}  // namespace infilld::kernels::onednn
