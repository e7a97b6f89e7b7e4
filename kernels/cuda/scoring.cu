#include "kernels/cuda/common.cuh"
#include "kernels/cuda/scoring.h"

namespace infilld::kernels::cuda {

namespace {

// The two largest logits seen and the id of the largest (lowest id among equals).
struct Top2 {
  float v1;
  int32_t i1;
  float v2;
};

__device__ __forceinline__ Top2 merge(Top2 a, Top2 b) {
  const bool b_wins = b.v1 > a.v1 || (b.v1 == a.v1 && b.i1 < a.i1);
  if (b_wins) return Top2{b.v1, b.i1, fmaxf(a.v1, b.v2)};
  return Top2{a.v1, a.i1, fmaxf(a.v2, b.v1)};
}

__device__ __forceinline__ Top2 warp_merge(Top2 t) {
  for (int o = 16; o > 0; o >>= 1) {
    Top2 other{__shfl_xor_sync(0xffffffffu, t.v1, o), __shfl_xor_sync(0xffffffffu, t.i1, o),
               __shfl_xor_sync(0xffffffffu, t.v2, o)};
    t = merge(t, other);
  }
  return t;
}

__global__ void score_kernel(const float* logits, int64_t row_stride, int64_t n, int32_t ex0, int32_t ex1,
                             int policy, int32_t* tokens, float* scores) {
  __shared__ float part_v1[32], part_v2[32];
  __shared__ int32_t part_i1[32];
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * row_stride;
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;

  Top2 t{-INFINITY, INT32_MAX, -INFINITY};
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    if (i == ex0 || i == ex1) continue;
    t = merge(t, Top2{row[i], static_cast<int32_t>(i), -INFINITY});
  }
  t = warp_merge(t);
  if (lane == 0) {
    part_v1[warp] = t.v1;
    part_i1[warp] = t.i1;
    part_v2[warp] = t.v2;
  }
  __syncthreads();
  t = lane < n_warps ? Top2{part_v1[lane], part_i1[lane], part_v2[lane]} : Top2{-INFINITY, INT32_MAX, -INFINITY};
  t = warp_merge(t);

  // z = sum exp(l - max), e = sum exp(l - max) (l - max), over the choosable ids.
  float z = 0.0f, e = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    if (i == ex0 || i == ex1) continue;
    const float d = row[i] - t.v1;
    const float x = expf(d);
    z += x;
    e += x * fmaxf(d, -87.0f);  // a -inf logit: x = 0, and 0 * -inf would be NaN
  }
  z = block_sum(z);
  e = block_sum(e);
  if (threadIdx.x != 0) return;
  float score = 1.0f / z;                                                        // confidence: p(x0)
  if (policy == static_cast<int>(ScorePolicy::Margin)) score = (1.0f - expf(t.v2 - t.v1)) / z;  // p1 - p2
  if (policy == static_cast<int>(ScorePolicy::Entropy)) score = e / z - logf(z);  // sum p log p
  tokens[blockIdx.x] = t.i1 == INT32_MAX ? -1 : t.i1;  // -1: no id may be chosen (as the CPU twin)
  scores[blockIdx.x] = t.i1 == INT32_MAX ? 0.0f : score;
}

}  // namespace

void score_rows(const ScoreArgs& a, StreamHandle stream) {
  if (a.n_rows <= 0) return;
  const int64_t n = a.n_choosable > 0 && a.n_choosable < a.row_stride ? a.n_choosable : a.row_stride;
  auto* k = &score_kernel;
  INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(a.n_rows)), dim3(1024), 0, stream)
  (a.logits, a.row_stride, n, a.excluded0, a.excluded1, static_cast<int>(a.policy), a.tokens, a.scores);
}

}  // namespace infilld::kernels::cuda
