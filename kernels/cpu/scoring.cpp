#include "kernels/cpu/scoring.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "kernels/cpu/cpu_isa.h"

namespace infilld::kernels {

namespace {

// e^x for x <= 0 in float, branch-free so that the loops around it vectorise: x = n ln 2 + r
// with |r| <= ln 2 / 2, e^r by its degree-6 Taylor polynomial (relative error below 2e-7),
// 2^n written into the exponent bits. Below -87 (e^x under float's normal range) it is 0.
[[gnu::always_inline]] inline float exp_nonpositive(float x) {
  const float clamped = std::max(x, -87.0f);
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (clamped * 1.44269504f + kRound) - kRound;  // round(x / ln 2)
  const float r = clamped - n * 0.693145751953125f - n * 1.428606765330187e-06f;  // ln 2 in two parts
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < -87.0f ? 0.0f : p * scale;
}

// The ids [0, n) less up to three excluded ones, as up to four ranges.
struct Ranges {
  int64_t begin[4] = {0, 0, 0, 0}, end[4] = {0, 0, 0, 0};

  Ranges(int64_t n, std::initializer_list<int64_t> excluded) {
    int64_t cut[3];
    int k = 0;
    for (int64_t x : excluded)
      if (x >= 0 && x < n && std::find(cut, cut + k, x) == cut + k) cut[k++] = x;
    for (int i = 1; i < k; ++i)  // at most three: insertion
      for (int j = i; j > 0 && cut[j - 1] > cut[j]; --j) std::swap(cut[j - 1], cut[j]);
    int64_t from = 0;
    for (int i = 0; i < k; ++i) {
      begin[i] = from;
      end[i] = cut[i];
      from = cut[i] + 1;
    }
    begin[k] = from;
    end[k] = n;
  }

  template <class Body>
  void each(Body body) const {
    for (int k = 0; k < 4; ++k)
      if (end[k] > begin[k]) body(begin[k], end[k]);
  }
};

inline float max_over(const float* row, const Ranges& ranges) {
  float m = -std::numeric_limits<float>::infinity();
  ranges.each([&](int64_t b, int64_t e) {
#pragma omp simd reduction(max : m)
    for (int64_t i = b; i < e; ++i) m = std::max(m, row[i]);
  });
  return m;
}

// One row. Written once, compiled twice (portable and AVX2 + FMA) by the wrappers below.
inline void score_one(const float* row, int64_t n, int32_t x0, int32_t x1, ScorePolicy policy, int32_t* token,
                      float* score) {
  const Ranges allowed(n, {x0, x1});
  const float m = max_over(row, allowed);
  int64_t best = -1;  // the lowest id holding the maximum
  allowed.each([&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e && best < 0; ++i)
      if (row[i] == m) best = i;
  });
  if (best < 0) {  // nothing choosable (every id excluded, or no finite logit)
    *token = -1;
    *score = 0.0f;
    return;
  }
  float z = 0.0f, s1 = 0.0f;  // sum e^(l - m), sum e^(l - m) (l - m)
  allowed.each([&](int64_t b, int64_t e) {
#pragma omp simd reduction(+ : z, s1)
    for (int64_t i = b; i < e; ++i) {
      const float d = row[i] - m;
      const float p = exp_nonpositive(d);
      z += p;
      s1 += p * std::max(d, -87.0f);  // a -inf logit: p = 0, and 0 * -inf would be NaN
    }
  });
  *token = static_cast<int32_t>(best);
  switch (policy) {
    case ScorePolicy::Confidence:
      *score = 1.0f / z;
      break;
    case ScorePolicy::Margin:  // the runner-up: the best of the others (it may tie the first)
      *score = (1.0f - exp_nonpositive(max_over(row, Ranges(n, {x0, x1, best})) - m)) / z;
      break;
    case ScorePolicy::Entropy:  // sum p log p with p = e^d / z: s1 / z - log z
      *score = s1 / z - std::log(z);
      break;
  }
}

void score_all(const ScoreArgs& a) {
  const int64_t n = a.n_choosable > 0 ? std::min(a.n_choosable, a.row_stride) : a.row_stride;
  for (int64_t r = 0; r < a.n_rows; ++r)
    score_one(a.logits + r * a.row_stride, n, a.excluded0, a.excluded1, a.policy, a.tokens + r, a.scores + r);
}

// flatten: everything it calls is inlined, so the loops are compiled for AVX2 + FMA.
__attribute__((target("avx2,fma"), flatten)) void score_all_avx2(const ScoreArgs& a) { score_all(a); }

}  // namespace

void score_rows_portable(const ScoreArgs& args) { score_all(args); }

void score_rows(const ScoreArgs& args) {
  if (cpu_isa() >= CpuIsa::Avx2) {
    score_all_avx2(args);
  } else {
    score_all(args);
  }
}

}  // namespace infilld::kernels
