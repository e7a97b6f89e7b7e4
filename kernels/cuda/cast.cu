#include "kernels/cuda/cast.h"
#include "kernels/cuda/common.cuh"

namespace infilld::kernels::cuda {

namespace {

template <class Out>
__global__ void cast_kernel(const float* x, int64_t n, Out* y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = from_float<Out>(x[i]);
}

}  // namespace

void cast_from_f32(const float* x, int64_t n, DType dtype, void* y, StreamHandle stream) {
  if (n <= 0) return;
  with_dtype(dtype, [&](auto tag) {
    using Out = decltype(tag);
    auto* k = &cast_kernel<Out>;
    INFILLD_LAUNCH(k, dim3(std::min<unsigned>(blocks_for(n, 256), 8192)), dim3(256), 0, stream)
    (x, n, static_cast<Out*>(y));
  });
}

}  // namespace infilld::kernels::cuda
