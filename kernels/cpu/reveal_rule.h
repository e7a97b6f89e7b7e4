// A denoising step's reveal rule, shared by the CPU's reveal_count (reveal.h) and the CUDA
// select kernel (kernels/cuda/select.h); plain C++ that nvcc compiles too.
#pragma once

#include <cstdint>

namespace infilld::kernels {

enum class RevealRule : int {
  Count,      // the `count` best (a schedule's count; capped at the candidates)
  Threshold,  // every score >= tau, at least one (Fast-dLLM)
  Factor,     // the longest prefix with score_i >= 1 - tau / (i + 1), 1-based, at least one (Fast-dLLM)
};

struct RevealChoice {
  RevealRule rule = RevealRule::Count;
  int64_t count = 0;  // Count
  double tau = 0.0;   // Threshold: the threshold; Factor: the factor
};

}  // namespace infilld::kernels
