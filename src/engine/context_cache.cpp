#include "engine/context_cache.h"

#include <algorithm>

namespace infilld::engine {

int64_t reusable_rows(std::span<const int32_t> cached, std::span<const int32_t> tokens,
                      const AttentionMask& mask) {
  const auto limit = std::min<size_t>(cached.size(), tokens.empty() ? 0 : tokens.size() - 1);
  const auto diff = std::mismatch(cached.begin(), cached.begin() + static_cast<std::ptrdiff_t>(limit), tokens.begin());
  int64_t reused = static_cast<int64_t>(diff.first - cached.begin());
  if (mask.kind == MaskKind::BlockCausal && reused > mask.context_length && mask.block_length > 0)
    reused = mask.context_length + (reused - mask.context_length) / mask.block_length * mask.block_length;
  return reused;
}

Expected<int64_t> context_rows(std::span<const int32_t> cached, std::span<const int32_t> tokens,
                               const AttentionMask& mask, std::span<const int64_t> head_rows) {
  if (mask.kind == MaskKind::Full)
    return error("a context cache is exact only under a causal or block-causal mask; this model attends fully");
  const int64_t reused = reusable_rows(cached, tokens, mask);
  if (!head_rows.empty() && head_rows.front() < reused)
    return error("forward: LM head row ", head_rows.front(), " is held by the context cache (", reused,
                 " rows): ask for the rows it recomputes");
  return reused;
}

KvCache& ContextCache::prepare(std::span<const int32_t> tokens, int64_t keep, int64_t n_layers, int64_t kv_width) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (static_cast<int64_t>(kv_.k.size()) != n_layers) {
    kv_.k.assign(static_cast<size_t>(n_layers), {});
    kv_.v.assign(static_cast<size_t>(n_layers), {});
    keep = 0;
  }
  for (int64_t l = 0; l < n_layers; ++l) {
    kv_.k[l].resize(static_cast<size_t>(n * kv_width));  // rows [0, keep) are kept as they are
    kv_.v[l].resize(static_cast<size_t>(n * kv_width));
  }
  kv_.n_positions = n;
  tokens_.resize(static_cast<size_t>(std::min<int64_t>(keep, n)));  // valid until commit()
  return kv_;
}

}  // namespace infilld::engine
