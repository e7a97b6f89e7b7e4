// Rotary position embedding on the GPU; CPU twin: kernels/cpu/rope.h.
#pragma once

#include <cstdint>

#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// The cos and sin of every (row, frequency) pair, once per forward pass for the q and k of
// every layer: table [n_rows, head_dim], the half cosines then the half sines of each row,
// angle = positions[r] * theta^(-2i/head_dim) computed in double (as the CPU twin).
void rope_table(const int32_t* positions, int64_t n_rows, int64_t head_dim, double theta, float* table,
                StreamHandle stream);

// Rotate-half RoPE in place on x: [n_rows, n_heads * head_dim], row r by row r of the table.
void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, const float* table, StreamHandle stream);

}  // namespace infilld::kernels::cuda
