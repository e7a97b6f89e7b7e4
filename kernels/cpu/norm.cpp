#include "kernels/cpu/norm.h"

#include <cmath>

namespace infilld::kernels {

void rmsnorm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps, float* y) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double sum_sq = 0.0;  // double: the mean of squares of a wide row loses bits in float
    for (int64_t i = 0; i < dim; ++i) sum_sq += static_cast<double>(xr[i]) * xr[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * weight[i];
  }
}

}  // namespace infilld::kernels
