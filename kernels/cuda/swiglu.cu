#include "kernels/cuda/common.cuh"
#include "kernels/cuda/swiglu.h"

namespace infilld::kernels::cuda {

namespace {

template <class Out>
__global__ void swiglu_kernel(const float* gate, const float* up, int64_t n, Out* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    out[i] = from_float<Out>(g / (1.0f + expf(-g)) * up[i]);
  }
}

}  // namespace

void swiglu(const float* gate, const float* up, int64_t n, DType out_dtype, void* out, StreamHandle stream) {
  if (n <= 0) return;
  with_dtype(out_dtype, [&](auto tag) {
    using Out = decltype(tag);
    auto* k = &swiglu_kernel<Out>;
    INFILLD_LAUNCH(k, dim3(std::min<unsigned>(blocks_for(n, 256), 8192)), dim3(256), 0, stream)
    (gate, up, n, static_cast<Out*>(out));
  });
}

}  // namespace infilld::kernels::cuda
