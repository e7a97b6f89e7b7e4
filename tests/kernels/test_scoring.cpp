// The CPU scoring kernel (the twin of the CUDA one) against a double-precision reference,
// in its AVX2 build and its portable build, on random rows with excluded ids and a
// choosable range, for every policy.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/scoring.h"

using namespace infilld::kernels;

namespace {

struct Reference {
  int32_t token;
  double score;
};

Reference reference(const std::vector<float>& row, int64_t n, int32_t x0, int32_t x1, ScorePolicy policy) {
  std::vector<double> l;
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < n; ++i)
    if (i != x0 && i != x1) {
      l.push_back(row[i]);
      ids.push_back(static_cast<int32_t>(i));
    }
  size_t best = 0;
  for (size_t i = 1; i < l.size(); ++i)
    if (l[i] > l[best]) best = i;
  double z = 0;
  for (double v : l) z += std::exp(v - l[best]);
  double p1 = 0, p2 = 0, entropy = 0;
  for (double v : l) {
    const double p = std::exp(v - l[best]) / z;
    entropy += p * std::log(p);
    if (p > p1) {
      p2 = p1;
      p1 = p;
    } else if (p > p2) {
      p2 = p;
    }
  }
  const double score = policy == ScorePolicy::Confidence ? p1 : policy == ScorePolicy::Margin ? p1 - p2 : entropy;
  return {ids[best], score};
}

}  // namespace

TEST_CASE("cpu scoring: x0 and its score match the double-precision reference on both builds") {
  std::mt19937 rng(7);
  for (const int64_t V : {1, 7, 64, 1000, 12289}) {
    for (const ScorePolicy policy : {ScorePolicy::Confidence, ScorePolicy::Margin, ScorePolicy::Entropy}) {
      const int64_t rows = 5;
      const int64_t choosable = V > 8 ? V - 3 : 0;  // the padded ids past the vocabulary
      std::normal_distribution<float> logit(0.0f, V > 100 ? 4.0f : 1.0f);
      std::vector<float> logits(static_cast<size_t>(rows * V));
      for (float& x : logits) x = logit(rng);
      logits[2] = 50.0f;  // row 0's best is excluded below: the next best is chosen
      if (V >= 64) logits[V + 10] = logits[V + 20] = 30.0f;  // a tie in row 1: the lower id
      const int32_t x0 = V > 2 ? 2 : -1, x1 = V > 40 ? 40 : -1;
      for (auto fn : {&score_rows, &score_rows_portable}) {
        CAPTURE(V);
        CAPTURE(static_cast<int>(policy));
        CAPTURE(fn == &score_rows);
        std::vector<int32_t> tokens(rows, -1);
        std::vector<float> scores(rows);
        ScoreArgs a;
        a.logits = logits.data();
        a.n_rows = rows;
        a.row_stride = V;
        a.n_choosable = choosable;
        a.excluded0 = x0;
        a.excluded1 = x1;
        a.policy = policy;
        a.tokens = tokens.data();
        a.scores = scores.data();
        fn(a);
        const int64_t n = choosable > 0 ? choosable : V;
        for (int64_t r = 0; r < rows; ++r) {
          const std::vector<float> row(logits.begin() + r * V, logits.begin() + (r + 1) * V);
          if (n == 1 && x0 == 0) continue;
          const Reference want = reference(row, n, x0, x1, policy);
          CHECK(tokens[r] == want.token);
          CHECK(scores[r] == doctest::Approx(want.score).epsilon(2e-5).scale(1.0));
        }
        if (V >= 64) CHECK(tokens[1] == 10);
      }
    }
  }
}

TEST_CASE("cpu scoring: -inf logits score as zero probability, and a row with nothing choosable says so") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> row = {-inf, 1.0f, -inf, 0.5f};
  for (auto fn : {&score_rows, &score_rows_portable}) {
    for (const ScorePolicy policy : {ScorePolicy::Confidence, ScorePolicy::Margin, ScorePolicy::Entropy}) {
      int32_t token = -2;
      float score = 0.0f;
      ScoreArgs a;
      a.logits = row.data();
      a.n_rows = 1;
      a.row_stride = 4;
      a.policy = policy;
      a.tokens = &token;
      a.scores = &score;
      fn(a);
      CHECK(token == 1);
      CHECK(std::isfinite(score));
      CHECK(score == doctest::Approx(reference({1.0f, 0.5f}, 2, -1, -1, policy).score).epsilon(1e-5));
    }
    // Every id excluded: no token (-1), which the decode loop turns into an error.
    std::vector<float> two = {0.1f, 0.2f};
    int32_t token = 0;
    float score = 1.0f;
    ScoreArgs a;
    a.logits = two.data();
    a.n_rows = 1;
    a.row_stride = 2;
    a.excluded0 = 0;
    a.excluded1 = 1;
    a.tokens = &token;
    a.scores = &score;
    fn(a);
    CHECK(token == -1);
  }
}
