#include "kernels/cuda/common.cuh"
#include "kernels/cuda/mask.cuh"
#include "kernels/cuda/softmax.h"

namespace infilld::kernels::cuda {

namespace {

// One block per row: the max, the sum of exponentials, then the normalised row.
__global__ void masked_softmax_kernel(float* scores, int64_t n_keys, int64_t rows_per_problem, int64_t query_offset,
                                      MaskArgs mask) {
  float* row = scores + static_cast<int64_t>(blockIdx.x) * n_keys;
  const int64_t q = query_offset + static_cast<int64_t>(blockIdx.x) % rows_per_problem;
  const int64_t end = visible_end(mask, q, n_keys);
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < end; j += blockDim.x) m = fmaxf(m, row[j]);
  m = block_max(m);
  float z = 0.0f;
  for (int64_t j = threadIdx.x; j < end; j += blockDim.x) z += expf(row[j] - m);
  z = block_sum(z);
  const float inv = 1.0f / z;
  for (int64_t j = threadIdx.x; j < n_keys; j += blockDim.x) row[j] = j < end ? expf(row[j] - m) * inv : 0.0f;
}

}  // namespace

void masked_softmax(float* scores, int64_t n_rows, int64_t n_keys, int64_t rows_per_problem, int64_t query_offset,
                    const AttentionMask& mask, StreamHandle stream) {
  if (n_rows <= 0 || n_keys <= 0) return;
  auto* k = &masked_softmax_kernel;
  INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(n_rows)), dim3(256), 0, stream)
  (scores, n_keys, rows_per_problem, query_offset, mask_args(mask));
}

}  // namespace infilld::kernels::cuda
