// The masked softmax of attention score rows, for the attention of long sequences through
// cuBLAS (kernels/cuda/long_attention.h); CPU twin: the mask and softmax steps of
// kernels/cpu/attention.cpp (the test compares the whole long attention with attention()).
#pragma once

#include <cstdint>

#include "kernels/cpu/attention.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// scores: [n_rows, n_keys] float32, in place; row r is query row r % rows_per_problem, at
// position query_offset + that among the keys: its keys past the mask's visible end become
// exact zeros, the rest softmax(row). Device pointer; queued on `stream`.
void masked_softmax(float* scores, int64_t n_rows, int64_t n_keys, int64_t rows_per_problem, int64_t query_offset,
                    const AttentionMask& mask, StreamHandle stream);

}  // namespace infilld::kernels::cuda
