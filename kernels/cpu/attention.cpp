#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/onednn.h"

namespace infilld::kernels {

namespace {

// Scales the visible prefix of each score row and masks the rest with -inf, ready for
// the softmax (which turns -inf into exact zeros).
void scale_and_mask(float* scores, int64_t rows, int64_t n_keys, int64_t query_offset, const AttentionMask& mask,
                    float scale) {
  for (int64_t t = 0; t < rows; ++t) {
    float* row = scores + t * n_keys;
    const int64_t visible = mask.visible_end(query_offset + t, n_keys);
    for (int64_t j = 0; j < visible; ++j) row[j] *= scale;
    std::fill(row + visible, row + n_keys, -std::numeric_limits<float>::infinity());
  }
}

}  // namespace

void attention(const float* q, const float* k, const float* v, const AttentionShape& s,
               const AttentionMask& mask, float* out) {
  const int64_t T = s.n_queries, S = s.n_keys, D = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t q_stride = s.n_heads * D;
  const int64_t kv_stride = s.n_kv_heads * D;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  // Heads are packed into dense [rows, D] buffers first: oneDNN's fast kernels want
  // unit-stride rows, and strided views fall back to its slow reference code. The query
  // heads that share a key/value head are stacked, [group * T, D], so that each group costs
  // one matmul, one softmax and one matmul (a block step's small products are dominated by
  // the cost of each call).
  std::vector<float> scores(static_cast<size_t>(group * T * S)), q_g(group * T * D), o_g(group * T * D), k_g(S * D),
      v_g(S * D);
  auto pack = [D](const float* src, int64_t rows, int64_t stride, float* dst) {
    for (int64_t r = 0; r < rows; ++r) std::copy(src + r * stride, src + r * stride + D, dst + r * D);
  };
  for (int64_t g = 0; g < s.n_kv_heads; ++g) {
    pack(k + g * D, S, kv_stride, k_g.data());
    pack(v + g * D, S, kv_stride, v_g.data());
    for (int64_t i = 0; i < group; ++i) pack(q + (g * group + i) * D, T, q_stride, q_g.data() + i * T * D);
    // scores[group * T, S] = q_g . k_g^T
    onednn::gemm_f32(/*b_transposed=*/true, group * T, S, D, q_g.data(), D, k_g.data(), D, scores.data(), S);
    for (int64_t i = 0; i < group; ++i) scale_and_mask(scores.data() + i * T * S, T, S, s.query_offset, mask, scale);
    onednn::softmax_rows(scores.data(), group * T, S);
    // o_g[group * T, D] = scores . v_g
    onednn::gemm_f32(/*b_transposed=*/false, group * T, D, S, scores.data(), S, v_g.data(), D, o_g.data(), D);
    for (int64_t i = 0; i < group; ++i) {
      const int64_t h = g * group + i;
      for (int64_t t = 0; t < T; ++t)
        std::copy(o_g.data() + (i * T + t) * D, o_g.data() + (i * T + t + 1) * D, out + t * q_stride + h * D);
    }
  }
}

}  // namespace infilld::kernels
