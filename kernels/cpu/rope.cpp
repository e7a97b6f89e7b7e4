#include "kernels/cpu/rope.h"

#include <cmath>
#include <vector>

namespace infilld::kernels {

void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          double theta) {
  const int64_t half = head_dim / 2;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv_freq[i] = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
  std::vector<float> cos_row(static_cast<size_t>(half)), sin_row(static_cast<size_t>(half));
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle = positions[r] * inv_freq[i];
      cos_row[i] = static_cast<float>(std::cos(angle));
      sin_row[i] = static_cast<float>(std::sin(angle));
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (r * n_heads + h) * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const float a = v[i];
        const float b = v[i + half];
        v[i] = a * cos_row[i] - b * sin_row[i];
        v[i + half] = b * cos_row[i] + a * sin_row[i];
      }
    }
  }
}

}  // namespace infilld::kernels
