// Scoring of masked positions at temperature 0 on the CPU: per logits row, the chosen token
// x0 (the argmax, lowest id on ties, excluded ids aside) and its score by the policy. The
// twin of kernels/cuda/scoring.h: the same arguments with host pointers, the same scores in
// float (a pass for the largest logit, one for the softmax sums). Vectorised: an AVX2 + FMA build of the loops
// where cpu_isa() allows it, the portable one otherwise.
#pragma once

#include <cstdint>

namespace infilld::kernels {

enum class ScorePolicy : int {
  Confidence,  // p(x0)
  Margin,      // p(top1) - p(top2)
  Entropy,     // sum p log p
};

struct ScoreArgs {
  const float* logits = nullptr;  // [n_rows, row_stride]
  int64_t n_rows = 0;
  int64_t row_stride = 0;
  int64_t n_choosable = 0;        // only ids below this are chosen (and enter the softmax)
  int32_t excluded0 = -1;         // ids never chosen (the mask; DreamOn's expand at its limit)
  int32_t excluded1 = -1;
  ScorePolicy policy = ScorePolicy::Confidence;
  int32_t* tokens = nullptr;      // [n_rows] x0; -1 where no id may be chosen
  float* scores = nullptr;        // [n_rows]
};

void score_rows(const ScoreArgs& args);

// The portable build of the loops, whatever the CPU (tests compare the two).
void score_rows_portable(const ScoreArgs& args);

}  // namespace infilld::kernels
