// Choosing the token of one masked position and scoring how sure the model is of it.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/denoise/decode_options.h"

namespace infilld::engine {

struct Scored {
  int32_t token = 0;   // x0: argmax at temperature 0, else sampled
  double score = 0.0;  // by the policy: higher means reveal sooner
};

// Scores positions from their logits rows. Holds the random generator, so one request's
// choices are reproducible from its seed. Not thread-safe: one per request.
class Scorer {
 public:
  // `excluded`: a token never chosen (the mask itself: choosing it would leave the position
  // masked forever); -1 for none.
  Scorer(const DecodeOptions& options, int32_t excluded);

  // `row`: the logits [V] that predict the position.
  //  - temperature 0: x0 = argmax (lowest id on ties), p = softmax(row);
  //  - otherwise: row / temperature, then top-k and top-p filtering (Dream's rules: top-p
  //    keeps the smallest set whose cumulative probability reaches p), p = softmax, x0 ~ p.
  // Scores use p: confidence p(x0), margin p1 - p2, entropy sum p log p; random is uniform.
  Scored score(std::span<const float> row);
  // score() of each row, into out[i]. At temperature 0 (no random draws) the rows are spread
  // over the thread pool: a block step scores ~16 rows of a whole vocabulary.
  void score_all(std::span<const std::span<const float>> rows, std::vector<Scored>& out);

  // A second token not to choose, or -1 (DreamOn's expand once the span is at its maximum).
  void exclude_also(int32_t token) { excluded2_ = token; }

  // The most likely token of a row, the excluded one aside (lowest id on ties).
  int32_t argmax(std::span<const float> row) const;

 private:
  DecodeOptions options_;
  bool greedy() const { return options_.temperature == 0.0 && options_.policy != Policy::Random; }
  Scored score_greedy(std::span<const float> row) const;  // thread-safe: reads the row only

  int32_t excluded_ = -1;
  int32_t excluded2_ = -1;
  std::mt19937_64 rng_;
  std::vector<double> p_;  // scratch: probabilities [V]
  std::vector<int32_t> order_;
};

}  // namespace infilld::engine
