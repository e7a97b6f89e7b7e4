#include "kernels/cuda/bias.h"
#include "kernels/cuda/common.cuh"

namespace infilld::kernels::cuda {

namespace {

__global__ void add_bias_kernel(float* y, int64_t total, int64_t n, const float* bias) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += bias[i % n];
}

}  // namespace

void add_bias(float* y, int64_t n_rows, int64_t n, const float* bias, StreamHandle stream) {
  const int64_t total = n_rows * n;
  if (total <= 0) return;
  auto* k = &add_bias_kernel;
  INFILLD_LAUNCH(k, dim3(std::min<unsigned>(blocks_for(total, 256), 4096)), dim3(256), 0, stream)(y, total, n, bias);
}

}  // namespace infilld::kernels::cuda
