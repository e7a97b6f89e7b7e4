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
  // Split-key ("flash-decoding"): when few query rows would leave the multiprocessors idle,
  // the keys are split over more blocks whose partial results a second kernel merges.
  // split_scratch: attention_split_scratch() floats on the device, or null for no splits.
  int multiprocessors = 0;
  float* split_scratch = nullptr;
};

// Keys below which a split is not worth its merge.
inline constexpr int64_t kSplitMinKeys = 64;

// How many key splits a shape gets on `multiprocessors` SMs (about four waves of blocks),
// and the scratch floats they need (0 without splits).
int64_t attention_splits(const AttentionShape& shape, int multiprocessors);
int64_t attention_split_scratch(const AttentionShape& shape, int multiprocessors);

// The largest head dimension the kernel takes.
inline constexpr int64_t kMaxAttentionHeadDim = 256;

// out = softmax(q k^T / sqrt(D) + mask) v, query head h reading kv head h / (A / K).
// Device pointers; queued on `stream`. head_dim must be even and <= kMaxAttentionHeadDim.
void attention(const AttentionArgs& args, StreamHandle stream);

}  // namespace infilld::kernels::cuda
