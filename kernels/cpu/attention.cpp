#include "kernels/cpu/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace infilld::kernels {

int64_t AttentionMask::visible_end(int64_t q, int64_t n_keys) const {
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

namespace {

// Softmax over the first `visible` entries of a row; the rest become exact zeros.
void softmax_prefix(float* row, int64_t visible, int64_t n) {
  float max_score = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < visible; ++j) max_score = std::max(max_score, row[j]);
  double sum = 0.0;
  for (int64_t j = 0; j < visible; ++j) {
    row[j] = std::exp(row[j] - max_score);
    sum += row[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j < visible; ++j) row[j] *= inv;
  std::fill(row + visible, row + n, 0.0f);
}

}  // namespace

void attention(const float* q, const float* k, const float* v, const AttentionShape& s,
               const AttentionMask& mask, float* out) {
  const int64_t T = s.n_queries, S = s.n_keys, D = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int q_stride = static_cast<int>(s.n_heads * D);
  const int kv_stride = static_cast<int>(s.n_kv_heads * D);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  std::vector<float> scores(static_cast<size_t>(T * S));
  for (int64_t h = 0; h < s.n_heads; ++h) {
    const int64_t g = h / group;
    // scores[T, S] = scale * q_h[T, D] . k_g[S, D]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(S),
                static_cast<int>(D), scale, q + h * D, q_stride, k + g * D, kv_stride, 0.0f, scores.data(),
                static_cast<int>(S));
    for (int64_t t = 0; t < T; ++t)
      softmax_prefix(scores.data() + t * S, mask.visible_end(s.query_offset + t, S), S);
    // out_h[T, D] = scores[T, S] . v_g[S, D]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(T), static_cast<int>(D),
                static_cast<int>(S), 1.0f, scores.data(), static_cast<int>(S), v + g * D, kv_stride, 0.0f,
                out + h * D, q_stride);
  }
}

}  // namespace infilld::kernels
