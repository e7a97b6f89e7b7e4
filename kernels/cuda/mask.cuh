// The attention masks on the device: AttentionMask::visible_end's twin (kernels/cpu/attention.h).
#pragma once

#include <cstdint>

#include "kernels/cpu/attention.h"
#include "kernels/cuda/common.cuh"

namespace infilld::kernels::cuda {

struct MaskArgs {
  int kind;  // MaskKind
  int64_t context_length, block_length;
};

inline MaskArgs mask_args(const AttentionMask& m) { return {static_cast<int>(m.kind), m.context_length, m.block_length}; }

// One past the last key the query at position q sees, among n_keys keys.
__device__ __forceinline__ int64_t visible_end(const MaskArgs& m, int64_t q, int64_t n_keys) {
  if (m.kind == static_cast<int>(MaskKind::Full)) return n_keys;
  if (m.kind == static_cast<int>(MaskKind::Causal) || q < m.context_length) return q + 1 < n_keys ? q + 1 : n_keys;
  const int64_t len = m.block_length > 0 ? m.block_length : 1;
  const int64_t end = m.context_length + ((q - m.context_length) / len + 1) * len;
  return end < n_keys ? end : n_keys;
}

}  // namespace infilld::kernels::cuda
