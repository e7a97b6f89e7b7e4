#pragma once

#include <cstdint>

namespace infilld::kernels {

// Rotary position embedding, rotate-half form, in place on x: [n_rows, n_heads * head_dim].
// Row r has position positions[r]. For i < head_dim/2, with angle = pos * theta^(-2i/head_dim):
//   x'[i]        = x[i] cos - x[i + half] sin
//   x'[i + half] = x[i + half] cos + x[i] sin
// Angles are computed in double, so long positions keep their precision.
void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          double theta);

}  // namespace infilld::kernels
