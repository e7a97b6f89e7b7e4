// SwiGLU on the GPU; CPU twin: kernels/cpu/elementwise.h swiglu().
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// out = silu(gate) * up over n float32 elements, written in `out_dtype` (the down
// projection's input dtype). Device pointers; queued on `stream`.
void swiglu(const float* gate, const float* up, int64_t n, DType out_dtype, void* out, StreamHandle stream);

}  // namespace infilld::kernels::cuda
