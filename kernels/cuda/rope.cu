#include "kernels/cuda/common.cuh"
#include "kernels/cuda/rope.h"

namespace infilld::kernels::cuda {

namespace {

__global__ void rope_table_kernel(const int32_t* positions, int64_t half, int64_t head_dim, double theta,
                                  float* table) {
  const int64_t r = blockIdx.x;
  for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
    const double inv_freq = pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
    const double angle = static_cast<double>(positions[r]) * inv_freq;
    table[r * head_dim + i] = static_cast<float>(cos(angle));
    table[r * head_dim + half + i] = static_cast<float>(sin(angle));
  }
}

// One block per row; each thread rotates (i, i + half) pairs of the row's heads.
__global__ void rope_kernel(float* x, int64_t n_heads, int64_t head_dim, const float* table) {
  const int64_t r = blockIdx.x, half = head_dim / 2;
  const float* c = table + r * head_dim;
  const float* s = c + half;
  float* row = x + r * n_heads * head_dim;
  for (int64_t j = threadIdx.x; j < n_heads * half; j += blockDim.x) {
    const int64_t h = j / half, i = j % half;
    float* v = row + h * head_dim;
    const float a = v[i], b = v[i + half];
    v[i] = a * c[i] - b * s[i];
    v[i + half] = b * c[i] + a * s[i];
  }
}

}  // namespace

void rope_table(const int32_t* positions, int64_t n_rows, int64_t head_dim, double theta, float* table,
                StreamHandle stream) {
  if (n_rows <= 0) return;
  auto* k = &rope_table_kernel;
  INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(n_rows)), dim3(64), 0, stream)
  (positions, head_dim / 2, head_dim, theta, table);
}

void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, const float* table, StreamHandle stream) {
  if (n_rows <= 0) return;
  auto* k = &rope_kernel;
  INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(n_rows)), dim3(128), 0, stream)(x, n_heads, head_dim, table);
}

}  // namespace infilld::kernels::cuda
