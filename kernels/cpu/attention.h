// Grouped-query scaled dot-product attention with a mask kind.
#pragma once

#include <cstdint>

#include "common/attention_mask.h"

namespace infilld::kernels {

// Which keys a query may see: the model's property, defined below the kernels.
using infilld::AttentionMask;
using infilld::MaskKind;

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
