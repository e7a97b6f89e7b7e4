#include "kernels/cuda/common.cuh"
#include "kernels/cuda/select.h"

namespace infilld::kernels::cuda {

namespace {

// One thread per candidate: its rank is the number of candidates ahead of it, which sorts
// the (at most 1024) scores in one pass from shared memory without a sorting network.
__global__ void select_kernel(const float* scores, const int32_t* tokens, int n, int rule, int64_t count, double tau,
                              int32_t* out) {
  __shared__ float s[kMaxRevealCandidates];
  const int i = static_cast<int>(threadIdx.x);
  if (i < n) s[i] = scores[i];
  __syncthreads();
  int rank = 0;
  float mine = 0.0f;
  if (i < n) {
    mine = s[i];
    for (int j = 0; j < n; ++j) rank += (s[j] > mine || (s[j] == mine && j < i)) ? 1 : 0;
    out[1 + 2 * rank] = i;
    out[2 + 2 * rank] = tokens[i];
  }
  float n_reveal = 0.0f;
  if (rule == static_cast<int>(RevealRule::Threshold)) {
    n_reveal = block_sum(i < n && static_cast<double>(mine) >= tau ? 1.0f : 0.0f);
  } else if (rule == static_cast<int>(RevealRule::Factor)) {
    // The first rank whose score misses its bar ends the prefix (1-based i = rank + 1).
    const bool misses = i < n && static_cast<double>(mine) < 1.0 - tau / static_cast<double>(rank + 2);
    n_reveal = -block_max(misses ? -static_cast<float>(rank) : -static_cast<float>(n));
  } else {
    n_reveal = static_cast<float>(count < n ? count : n);
  }
  if (i == 0) {
    int c = static_cast<int>(n_reveal);
    if (rule != static_cast<int>(RevealRule::Count) && c < 1 && n > 0) c = 1;
    out[0] = c;
  }
}

}  // namespace

void select_reveal(const float* scores, const int32_t* tokens, int64_t n, RevealRule rule, int64_t count, double tau,
                   int32_t* out, StreamHandle stream) {
  if (n <= 0) return;
  const unsigned threads = static_cast<unsigned>((n + 31) / 32 * 32);
  auto* k = &select_kernel;
  INFILLD_LAUNCH(k, dim3(1), dim3(threads), 0, stream)
  (scores, tokens, static_cast<int>(n), static_cast<int>(rule), count, tau, out);
}

}  // namespace infilld::kernels::cuda
