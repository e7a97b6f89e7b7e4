#include "kernels/cuda/rmsnorm.h"

#include <cuda_runtime.h>

#include <memory>

namespace infilld::kernels::cuda {

namespace {

// One block per row; each thread sums a strided slice, then a shared-memory tree reduction.
__global__ void rmsnorm_kernel(const float* x, int64_t dim, const float* weight, float eps, float* y) {
  extern __shared__ float partial[];
  const float* xr = x + blockIdx.x * dim;
  float* yr = y + blockIdx.x * dim;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += xr[i] * xr[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const float scale = rsqrtf(partial[0] / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = xr[i] * scale * weight[i];
}

struct DeviceFree {
  void operator()(float* p) const { cudaFree(p); }
};
using DeviceBuffer = std::unique_ptr<float, DeviceFree>;

std::string check(cudaError_t e) { return e == cudaSuccess ? std::string() : cudaGetErrorString(e); }

DeviceBuffer device_alloc(size_t n, std::string& err) {
  float* p = nullptr;
  err = check(cudaMalloc(&p, n * sizeof(float)));
  return DeviceBuffer(err.empty() ? p : nullptr);
}

}  // namespace

bool device_available() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

std::string rmsnorm_host(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps, float* y) {
  std::string err;
  const size_t n = static_cast<size_t>(n_rows * dim);
  DeviceBuffer dx = device_alloc(n, err);
  if (!err.empty()) return err;
  DeviceBuffer dw = device_alloc(static_cast<size_t>(dim), err);
  if (!err.empty()) return err;
  DeviceBuffer dy = device_alloc(n, err);
  if (!err.empty()) return err;
  if (!(err = check(cudaMemcpy(dx.get(), x, n * sizeof(float), cudaMemcpyHostToDevice))).empty()) return err;
  if (!(err = check(cudaMemcpy(dw.get(), weight, dim * sizeof(float), cudaMemcpyHostToDevice))).empty()) return err;
  constexpr int kThreads = 256;
  rmsnorm_kernel<<<static_cast<unsigned>(n_rows), kThreads, kThreads * sizeof(float)>>>(dx.get(), dim, dw.get(), eps,
                                                                                       dy.get());
  if (!(err = check(cudaGetLastError())).empty()) return err;
  return check(cudaMemcpy(y, dy.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
}

}  // namespace infilld::kernels::cuda
