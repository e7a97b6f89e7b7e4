// The exact context cache of causal and block-causal models (DESIGN.md section 6): the K/V
// of the last token sequence run, reused for a later sequence that shares its first tokens
// (the user typed more: with the suffix first, typing at the cursor only appends). Under a
// causal mask a position's K/V depend only on the tokens up to it, so the reused rows are
// exactly what a full forward would compute; only rows from the first differing token on
// are recomputed. (Fully bidirectional models have no exact cache: see KvCache and the
// approximate prefix/dual modes.)
//
// Which thread may call what: the engine worker thread, like the model it belongs to.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/models/transformer.h"

namespace infilld::engine {

// Rows of `tokens` whose K/V a cache holding the K/V of `cached` can keep: their common
// leading tokens (at most size - 1), and under a block-causal mask no further than the start
// of the block holding the first changed token (inside a block attention is bidirectional).
int64_t reusable_rows(std::span<const int32_t> cached, std::span<const int32_t> tokens,
                      const AttentionMask& mask);

// reusable_rows() after the checks every backend makes of a context-cache forward: a causal
// or block-causal mask (the cache is exact only there), and LM head rows among the rows
// recomputed.
Expected<int64_t> context_rows(std::span<const int32_t> cached, std::span<const int32_t> tokens,
                               const AttentionMask& mask, std::span<const int64_t> head_rows);

class ContextCache {
 public:
  // Prepares the K/V rows for `tokens`: keeps the first `keep` rows, sizes the rest.
  KvCache& prepare(std::span<const int32_t> tokens, int64_t keep, int64_t n_layers, int64_t kv_width);
  // Records that the cache now holds the K/V of `tokens`.
  void commit(std::span<const int32_t> tokens) { tokens_.assign(tokens.begin(), tokens.end()); }
  void clear() {
    tokens_.clear();
    kv_ = {};
  }
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  std::span<const int32_t> tokens() const { return tokens_; }

 private:
  std::vector<int32_t> tokens_;
  KvCache kv_;
};

}  // namespace infilld::engine
