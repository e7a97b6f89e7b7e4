#include "engine/denoise/scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/thread_pool.h"
#include "kernels/cpu/scoring.h"

namespace infilld::engine {

Scorer::Scorer(const DecodeOptions& options, int32_t excluded)
    : options_(options), excluded_(excluded), rng_(options.seed) {}

int32_t Scorer::argmax(std::span<const float> row) const {
  int32_t best = -1;
  for (int64_t i = 0; i < static_cast<int64_t>(row.size()); ++i)
    if (i != excluded_ && i != excluded2_ && (best < 0 || row[i] > row[best])) best = static_cast<int32_t>(i);
  return std::max(best, 0);
}

void Scorer::score_all(std::span<const std::span<const float>> rows, std::vector<Scored>& out) {
  out.resize(rows.size());
  if (!greedy()) {  // draws from the generator: in order
    for (size_t i = 0; i < rows.size(); ++i) out[i] = score(rows[i]);
    return;
  }
  ThreadPool::global().parallel_for(static_cast<int64_t>(rows.size()), 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = score_greedy(rows[i]);
  });
}

Scored Scorer::score_greedy(std::span<const float> row) const {
  kernels::ScoreArgs a;
  a.logits = row.data();
  a.n_rows = 1;
  a.row_stride = static_cast<int64_t>(row.size());
  a.excluded0 = excluded_;
  a.excluded1 = excluded2_;
  a.policy = options_.policy == Policy::Margin    ? kernels::ScorePolicy::Margin
             : options_.policy == Policy::Entropy ? kernels::ScorePolicy::Entropy
                                                  : kernels::ScorePolicy::Confidence;
  int32_t token = 0;
  float score = 0.0f;
  a.tokens = &token;
  a.scores = &score;
  kernels::score_rows(a);
  return Scored{token, score};
}

Scored Scorer::score(std::span<const float> row) {
  const int64_t V = static_cast<int64_t>(row.size());
  if (greedy()) return score_greedy(row);  // the vectorised kernel
  const double inv_t = options_.temperature > 0.0 ? 1.0 / options_.temperature : 1.0;
  p_.resize(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; ++i) p_[i] = static_cast<double>(row[i]) * inv_t;

  const double neg_inf = -std::numeric_limits<double>::infinity();
  for (int32_t x : {excluded_, excluded2_})
    if (x >= 0 && x < V) p_[x] = neg_inf;
  if (options_.temperature > 0.0 && (options_.top_k > 0 || options_.top_p < 1.0)) {
    order_.resize(static_cast<size_t>(V));
    std::iota(order_.begin(), order_.end(), 0);
    std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) { return p_[a] > p_[b]; });
    int64_t keep = V;
    if (options_.top_k > 0) keep = std::min<int64_t>(keep, options_.top_k);
    if (options_.top_p < 1.0) {
      // Cumulative probability in sorted order; keep up to and including the first token
      // at which it exceeds top_p.
      const double max_l = p_[order_[0]];
      double z = 0.0;
      for (int64_t i = 0; i < V; ++i) z += std::exp(p_[order_[i]] - max_l);
      double cum = 0.0;
      int64_t n = 0;
      while (n < keep) {
        cum += std::exp(p_[order_[n]] - max_l) / z;
        ++n;
        if (cum > options_.top_p) break;
      }
      keep = n;
    }
    for (int64_t i = keep; i < V; ++i) p_[order_[i]] = neg_inf;
  }

  // Softmax in double; x0 = argmax (first on ties).
  int32_t best = 0;
  for (int64_t i = 1; i < V; ++i)
    if (p_[i] > p_[best]) best = static_cast<int32_t>(i);
  const double max_l = p_[best];
  double z = 0.0;
  for (double& v : p_) z += (v = std::exp(v - max_l));
  for (double& v : p_) v /= z;

  Scored out;
  out.token = best;
  if (options_.temperature > 0.0) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    int32_t pick = best;
    for (int64_t i = 0; i < V; ++i) {
      if (p_[i] <= 0.0) continue;
      pick = static_cast<int32_t>(i);
      if ((u -= p_[i]) < 0.0) break;
    }
    out.token = pick;
  }
  switch (options_.policy) {
    case Policy::Confidence:
      out.score = p_[out.token];
      break;
    case Policy::Margin: {
      double p1 = 0.0, p2 = 0.0;
      for (double v : p_) {
        if (v > p1) {
          p2 = p1;
          p1 = v;
        } else if (v > p2) {
          p2 = v;
        }
      }
      out.score = p1 - p2;
      break;
    }
    case Policy::Entropy: {
      double s = 0.0;
      for (double v : p_)
        if (v > 0.0) s += v * std::log(v);
      out.score = s;
      break;
    }
    case Policy::Random:
      out.score = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      break;
  }
  return out;
}

}  // namespace infilld::engine
