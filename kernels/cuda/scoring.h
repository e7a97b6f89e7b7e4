// On-GPU scoring of masked positions at temperature 0: per logits row, the chosen token x0
// (the argmax, lowest id on ties) and its score by the policy, so that only these come back
// to the host. CPU twin: kernels/cpu/scoring.h.
#pragma once

#include <cstdint>

#include "kernels/cpu/scoring.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

// The arguments are the CPU twin's (kernels/cpu/scoring.h), with device pointers.
using ScorePolicy = kernels::ScorePolicy;
using ScoreArgs = kernels::ScoreArgs;

// Device pointers; queued on `stream`. One block per row: two passes over the row (the top
// two logits, then the softmax sums), so a 152k-entry row is read twice from L2.
void score_rows(const ScoreArgs& args, StreamHandle stream);

}  // namespace infilld::kernels::cuda
