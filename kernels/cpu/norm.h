#pragma once

#include <cstdint>

namespace infilld::kernels {

// RMSNorm over each row: y = x / sqrt(mean(x^2) + eps) * weight. x, y: [n_rows, dim]
// (may alias); weight: [dim] float32.
void rmsnorm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps, float* y);

}  // namespace infilld::kernels
