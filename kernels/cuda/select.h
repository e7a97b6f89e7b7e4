// Which scored positions a step reveals, decided on the GPU: the candidates sorted by score
// (highest first, the lower index first among equals), then a count by the step's rule.
// CPU twin: kernels/cpu/reveal.h (reveal_order, reveal_count).
#pragma once

#include <cstdint>

#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

enum class RevealRule : int {
  Count,      // the `count` best (a schedule's count; capped at n)
  Threshold,  // every score >= tau, at least one (Fast-dLLM)
  Factor,     // the longest prefix with score_i >= 1 - tau / (i + 1), at least one (Fast-dLLM)
};

// The most candidates one call takes (one thread block).
inline constexpr int64_t kMaxRevealCandidates = 1024;

// out: int32 [1 + 2n]: out[0] = how many to reveal; then for rank r < n, the candidate's
// index (into scores) and its token. Device pointers; queued on `stream`; n <= 1024.
void select_reveal(const float* scores, const int32_t* tokens, int64_t n, RevealRule rule, int64_t count, double tau,
                   int32_t* out, StreamHandle stream);

}  // namespace infilld::kernels::cuda
