// Fused grouped-query attention on the GPU (one pass over the keys with an online softmax;
// no score matrix in memory); CPU twin: kernels/cpu/attention.h attention().
#pragma once

#include <cstdint>

#include "common/dtype.h"
#include "kernels/cpu/attention.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

struct AttentionArgs {
  const float* q = nullptr;  // [T, A*D], row stride A*D
  const float* k = nullptr;  // [S, K*D]: the cache plus the new rows
  const float* v = nullptr;  // [S, K*D]
  void* out = nullptr;       // [T, A*D] in out_dtype (the output projection's input dtype)
  DType out_dtype = DType::F32;
  AttentionShape shape;      // T, S, query offset, A, K, D (kernels/cpu/attention.h)
  AttentionMask mask;        // full, causal or block-causal
};

// The largest head dimension the kernel takes.
inline constexpr int64_t kMaxAttentionHeadDim = 256;

// out = softmax(q k^T / sqrt(D) + mask) v, query head h reading kv head h / (A / K).
// Device pointers; queued on `stream`. head_dim must be even and <= kMaxAttentionHeadDim.
void attention(const AttentionArgs& args, StreamHandle stream);

}  // namespace infilld::kernels::cuda
