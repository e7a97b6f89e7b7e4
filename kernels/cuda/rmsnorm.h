// RMSNorm on the GPU; CPU twin: kernels/cpu/norm.h rmsnorm().
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// y[r, :] = x[src, :] / sqrt(mean(x[src, :]^2) + eps) * weight, with src = rows[r] (or r
// when rows is null: the final norm gathers only the rows the LM head needs). x: float32
// [.., dim]; weight: float32 [dim]; y: [n_rows, dim] in `out_dtype` (the next matmul's input
// dtype, so the cast is fused). Device pointers; queued on `stream`.
void rmsnorm(const float* x, const int32_t* rows, int64_t n_rows, int64_t dim, const float* weight, float eps,
             DType out_dtype, void* y, StreamHandle stream);

}  // namespace infilld::kernels::cuda
