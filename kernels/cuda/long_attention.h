// Attention of long sequences through cuBLAS, on the tensor cores: per kv head, the scores of
// its group of query heads in one batched TF32 product, the masked softmax kernel, and the
// values' batched product. The fused kernel (kernels/cuda/attention.h) runs on the CUDA
// cores and reads every key tile once per 8 query rows: right for a block's few rows, but a
// 2,048-row forward would spend several times the matmuls' time in it.
//
// Which thread may call what: the engine worker thread that owns the stream and handle.
// Plain C++ over device.h (cuBLAS and the softmax kernel): compiled for the CUDA runtime and
// for the emulator alike.
#pragma once

#include <cstdint>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/device.h"

namespace infilld::kernels::cuda {

// Whether a shape takes this route: from `min_rows` query rows on (64 by default;
// INFILLD_CUDA_LONG_ATTENTION_ROWS sets it, for the benchmark that compares the routes).
inline bool use_long_attention(const AttentionShape& s, int64_t min_rows) { return s.n_queries >= min_rows; }
inline constexpr int64_t kLongAttentionRows = 64;

// Scratch floats the route needs: one kv head's group of score matrices, and a float32 output
// when the output dtype is not float32.
int64_t long_attention_scratch(const AttentionShape& s, DType out_dtype);

// What attention() computes (the same arguments), with `scratch` holding
// long_attention_scratch() floats on the device.
Status long_attention(const AttentionArgs& a, const Blas& blas, float* scratch,
                      StreamHandle stream);

}  // namespace infilld::kernels::cuda
