#include "kernels/cuda/common.cuh"
#include "kernels/cuda/embedding.h"

namespace infilld::kernels::cuda {

namespace {

// One block per id; the row is read with consecutive threads on consecutive elements.
template <class W>
__global__ void embedding_kernel(const W* table, const int32_t* ids, int64_t dim, float* out) {
  const W* src = table + static_cast<int64_t>(ids[blockIdx.x]) * dim;
  float* dst = out + static_cast<int64_t>(blockIdx.x) * dim;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) dst[i] = to_float(src[i]);
}

}  // namespace

void embedding(DType dtype, const void* table, const int32_t* ids, int64_t n_ids, int64_t dim, float* out,
               StreamHandle stream) {
  if (n_ids <= 0) return;
  with_dtype(dtype, [&](auto tag) {
    using W = decltype(tag);
    auto* k = &embedding_kernel<W>;
    INFILLD_LAUNCH(k, dim3(static_cast<unsigned>(n_ids)), dim3(256), 0, stream)
    (static_cast<const W*>(table), ids, dim, out);
  });
}

}  // namespace infilld::kernels::cuda
