#include "kernels/cuda/common.cuh"
#include "kernels/cuda/rmsnorm.h"

namespace infilld::kernels::cuda {

namespace {

// One block per output row: a strided sum of squares, one block reduction, then the scale.
template <class Out>
__global__ void rmsnorm_kernel(const float* x, const int32_t* rows, int64_t dim, const float* weight, float eps,
                               Out* y) {
  const int64_t src = rows != nullptr ? rows[blockIdx.x] : static_cast<int64_t>(blockIdx.x);
  const float* xr = x + src * dim;
  Out* yr = y + static_cast<int64_t>(blockIdx.x) * dim;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += xr[i] * xr[i];
  sum = block_sum(sum);
  const float scale = rsqrtf(sum / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = from_float<Out>(xr[i] * scale * weight[i]);
}

}  // namespace

void rmsnorm(const float* x, const int32_t* rows, int64_t n_rows, int64_t dim, const float* weight, float eps,
             DType out_dtype, void* y, StreamHandle stream) {
  if (n_rows <= 0) return;
  with_dtype(out_dtype, [&](auto tag) {
    using Out = decltype(tag);
    auto* k = &rmsnorm_kernel<Out>;
    INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(n_rows)), dim3(256), 0, stream)
    (x, rows, dim, weight, eps, static_cast<Out*>(y));
  });
}

}  // namespace infilld::kernels::cuda
