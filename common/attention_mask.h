// Which keys a query may see: a property of the model (its config names it) that the CPU and
// CUDA attention kernels both apply, so it lives below both (DESIGN.md sections 4 and 6).
// Plain C++17: the CUDA kernels include it too.
#pragma once

#include <algorithm>
#include <cstdint>

namespace infilld {

enum class MaskKind {
  Full,         // every key: Dream, LLaDA, Open-dCoder
  Causal,       // keys at or before the query: the autoregressive baseline
  BlockCausal,  // infilld FIM: context causal; a block sees the context, earlier blocks, itself
};

struct AttentionMask {
  MaskKind kind = MaskKind::Full;
  int64_t context_length = 0;  // BlockCausal: positions before this are context
  int64_t block_length = 1;    // BlockCausal: length of each block after the context

  // One past the last key position visible to the query at position q, among n_keys keys.
  int64_t visible_end(int64_t q, int64_t n_keys) const {
    switch (kind) {
      case MaskKind::Full:
        return n_keys;
      case MaskKind::Causal:
        return std::min(q + 1, n_keys);
      case MaskKind::BlockCausal: {
        if (q < context_length) return std::min(q + 1, n_keys);
        const int64_t block = (q - context_length) / std::max<int64_t>(block_length, 1);
        return std::min(context_length + (block + 1) * block_length, n_keys);
      }
    }
    return n_keys;
  }
};

}  // namespace infilld
