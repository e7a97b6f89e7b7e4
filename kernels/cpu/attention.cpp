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
  // unit-stride rows, and strided views fall back to its slow reference code.
  std::vector<float> scores(static_cast<size_t>(T * S)), q_h(T * D), o_h(T * D), k_g(S * D), v_g(S * D);
  auto pack = [D](const float* src, int64_t rows, int64_t stride, float* dst) {
    for (int64_t r = 0; r < rows; ++r) std::copy(src + r * stride, src + r * stride + D, dst + r * D);
  };
  for (int64_t h = 0; h < s.n_heads; ++h) {
    const int64_t g = h / group;
    if (h % group == 0) {
      pack(k + g * D, S, kv_stride, k_g.data());
      pack(v + g * D, S, kv_stride, v_g.data());
    }
    pack(q + h * D, T, q_stride, q_h.data());
    // scores[T, S] = q_h[T, D] . k_g[S, D]^T
    onednn::gemm_f32(/*b_transposed=*/true, T, S, D, q_h.data(), D, k_g.data(), D, scores.data(), S);
    scale_and_mask(scores.data(), T, S, s.query_offset, mask, scale);
    onednn::softmax_rows(scores.data(), T, S);
    // o_h[T, D] = scores[T, S] . v_g[S, D]
    onednn::gemm_f32(/*b_transposed=*/false, T, D, S, scores.data(), S, v_g.data(), D, o_h.data(), D);
    for (int64_t t = 0; t < T; ++t) std::copy(o_h.data() + t * D, o_h.data() + (t + 1) * D, out + t * q_stride + h * D);
  }
}

}  // namespace infilld::kernels
