// float32 -> a stored dtype on the GPU (round to nearest even); CPU twin: kernels/cpu/convert.h.
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// y[i] = x[i] in `dtype`, n elements. Device pointers; queued on `stream`.
void cast_from_f32(const float* x, int64_t n, DType dtype, void* y, StreamHandle stream);

}  // namespace infilld::kernels::cuda
