// Grouped-query scaled dot-product attention with a mask kind.
#pragma once

#include <cstdint>

namespace infilld::kernels {

// Which keys a query may see (DESIGN.md sections 4 and 6).
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
  int64_t visible_end(int64_t q, int64_t n_keys) const;
};

struct AttentionShape {
  int64_t n_queries = 0;     // T: query rows
  int64_t n_keys = 0;        // S: key/value rows (the cache plus the new rows)
  int64_t query_offset = 0;  // position of query row 0 among the keys (S - T for a cache)
  int64_t n_heads = 0;       // A
  int64_t n_kv_heads = 0;    // K; A % K == 0, query head h reads kv head h / (A / K)
  int64_t head_dim = 0;      // D
};

// q: [T, A*D], k and v: [S, K*D], out: [T, A*D]; all float32 row-major.
// out = softmax(q k^T / sqrt(D) + mask) v, head by head.
void attention(const float* q, const float* k, const float* v, const AttentionShape& shape,
               const AttentionMask& mask, float* out);

}  // namespace infilld::kernels
