// Bias addition on the GPU; CPU twin: kernels/cpu/elementwise.h add_bias().
#pragma once

#include <cstdint>

#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// y[r, :] += bias for each of n_rows rows of width n (float32, device pointers).
void add_bias(float* y, int64_t n_rows, int64_t n, const float* bias, StreamHandle stream);

}  // namespace infilld::kernels::cuda
