// Embedding gather on the GPU; CPU twin: kernels/cpu/elementwise.h embedding().
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// out[i, :] = table[ids[i], :] as float32. table: [rows, dim] in `dtype`; ids checked by the
// caller. Device pointers; queued on `stream`.
void embedding(DType dtype, const void* table, const int32_t* ids, int64_t n_ids, int64_t dim, float* out,
               StreamHandle stream);

}  // namespace infilld::kernels::cuda
