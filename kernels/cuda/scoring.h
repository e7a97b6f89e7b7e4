// On-GPU scoring of masked positions at temperature 0: per logits row, the chosen token x0
// (the argmax, lowest id on ties) and its score by the policy, so that only these come back
// to the host. CPU twin: engine/denoise/scoring.h Scorer::score() at temperature 0.
#pragma once

#include <cstdint>

#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

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
  int32_t* tokens = nullptr;      // [n_rows] x0
  float* scores = nullptr;        // [n_rows]
};

// Device pointers; queued on `stream`. One block per row: two passes over the row (the top
// two logits, then the softmax sums), so a 152k-entry row is read twice from L2.
void score_rows(const ScoreArgs& args, StreamHandle stream);

}  // namespace infilld::kernels::cuda
