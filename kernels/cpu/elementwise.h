// Small element-wise ops of the forward pass.
#pragma once

#include <cstdint>

#include "kernels/cpu/weight.h"

namespace infilld::kernels {

// y[r, :] += bias for each of n_rows rows of width n.
void add_bias(float* y, int64_t n_rows, int64_t n, const float* bias);

// x += y over n elements (the residual connection).
void add_inplace(float* x, const float* y, int64_t n);

// out = silu(gate) * up over n elements (SwiGLU); out may alias gate.
void swiglu(const float* gate, const float* up, float* out, int64_t n);

// out[i, :] = table[ids[i], :] as float32; ids must be < table.rows (checked by the caller).
void embedding(const Weight& table, const int32_t* ids, int64_t n_ids, float* out);

}  // namespace infilld::kernels
