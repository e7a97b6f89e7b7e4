// Which scored positions a step reveals, decided on the GPU: the candidates sorted by score
// (highest first, the lower index first among equals), then a count by the step's rule.
// CPU twin: kernels/cpu/reveal.h (reveal_order, reveal_count).
#pragma once

#include <cstdint>

#include "kernels/cpu/reveal_rule.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

using RevealRule = kernels::RevealRule;  // the CPU twin's (kernels/cpu/reveal_rule.h)

// The most candidates one call takes (one thread block).
inline constexpr int64_t kMaxRevealCandidates = 1024;

// out: int32 [1 + 2n]: out[0] = how many to reveal; then for rank r < n, the candidate's
// index (into scores) and its token. Device pointers; queued on `stream`; n <= 1024.
void select_reveal(const float* scores, const int32_t* tokens, int64_t n, RevealRule rule, int64_t count, double tau,
                   int32_t* out, StreamHandle stream);

}  // namespace infilld::kernels::cuda
