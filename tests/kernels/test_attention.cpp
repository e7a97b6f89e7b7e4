// Attention mask kinds and grouped-query head mapping, against a direct implementation.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"

using namespace infilld::kernels;

namespace {

// Direct per-(head, query) attention with an explicit visibility test.
std::vector<float> naive(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                         const AttentionShape& s, const AttentionMask& m) {
  const int64_t D = s.head_dim, A = s.n_heads, K = s.n_kv_heads;
  std::vector<float> out(s.n_queries * A * D, 0.0f);
  for (int64_t h = 0; h < A; ++h)
    for (int64_t t = 0; t < s.n_queries; ++t) {
      const int64_t g = h / (A / K);
      const int64_t end = m.visible_end(s.query_offset + t, s.n_keys);
      std::vector<double> w(end);
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j < end; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += double(q[(t * A + h) * D + d]) * k[(j * K + g) * D + d];
        w[j] = dot / std::sqrt(double(D));
        mx = std::max(mx, w[j]);
      }
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int64_t j = 0; j < end; ++j)
        for (int64_t d = 0; d < D; ++d) out[(t * A + h) * D + d] += float(w[j] / sum * v[(j * K + g) * D + d]);
    }
  return out;
}

}  // namespace

TEST_CASE("attention: mask visibility rules") {
  AttentionMask full;
  CHECK(full.visible_end(0, 10) == 10);
  AttentionMask causal{MaskKind::Causal};
  CHECK(causal.visible_end(0, 10) == 1);
  CHECK(causal.visible_end(9, 10) == 10);
  // Context of 4 tokens, then blocks of 3: a block sees the context, earlier blocks, itself.
  AttentionMask block{MaskKind::BlockCausal, 4, 3};
  CHECK(block.visible_end(2, 20) == 3);
  CHECK(block.visible_end(4, 20) == 7);
  CHECK(block.visible_end(6, 20) == 7);
  CHECK(block.visible_end(7, 20) == 10);
  CHECK(block.visible_end(12, 11) == 11);
}

TEST_CASE("attention: matches a direct implementation for every mask kind") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const AttentionShape s{9, 9, 0, 4, 2, 8};
  std::vector<float> q(9 * 4 * 8), k(9 * 2 * 8), v(9 * 2 * 8), out(q.size());
  for (auto* buf : {&q, &k, &v})
    for (float& x : *buf) x = normal(rng);
  for (AttentionMask m : {AttentionMask{MaskKind::Full}, AttentionMask{MaskKind::Causal},
                          AttentionMask{MaskKind::BlockCausal, 3, 2}}) {
    attention(q.data(), k.data(), v.data(), s, m, out.data());
    auto ref = naive(q, k, v, s, m);
    for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == doctest::Approx(ref[i]).epsilon(1e-4));
  }
}

TEST_CASE("attention: a block step after a cached context and a prompt, against a direct implementation") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // A block step after a cached context (16 rows against 140 keys), and a prompt of 70 rows,
  // with grouped heads and a head size that is not a multiple of 8.
  for (AttentionShape s : {AttentionShape{16, 140, 124, 6, 2, 12}, AttentionShape{70, 70, 0, 4, 2, 16}}) {
    CAPTURE(s.n_queries);
    std::vector<float> q(s.n_queries * s.n_heads * s.head_dim), k(s.n_keys * s.n_kv_heads * s.head_dim),
        v(k.size()), out(q.size());
    for (auto* buf : {&q, &k, &v})
      for (float& x : *buf) x = 2.0f * normal(rng);
    for (AttentionMask m : {AttentionMask{MaskKind::Full}, AttentionMask{MaskKind::Causal},
                            AttentionMask{MaskKind::BlockCausal, 124, 8}}) {
      std::fill(out.begin(), out.end(), 0.0f);
      attention(q.data(), k.data(), v.data(), s, m, out.data());
      auto ref = naive(q, k, v, s, m);
      for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == doctest::Approx(ref[i]).epsilon(1e-4).scale(1.0));
    }
  }
}
