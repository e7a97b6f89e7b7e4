#include "kernels/cpu/rope.h"

#include <cmath>

namespace infilld::kernels {

RopeTable rope_table(const int32_t* positions, int64_t n_rows, int64_t head_dim, double theta) {
  RopeTable t;
  t.half = head_dim / 2;
  std::vector<double> inv_freq(static_cast<size_t>(t.half));
  for (int64_t i = 0; i < t.half; ++i)
    inv_freq[i] = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
  t.cos.resize(static_cast<size_t>(n_rows * t.half));
  t.sin.resize(static_cast<size_t>(n_rows * t.half));
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t i = 0; i < t.half; ++i) {
      const double angle = positions[r] * inv_freq[i];
      t.cos[r * t.half + i] = static_cast<float>(std::cos(angle));
      t.sin[r * t.half + i] = static_cast<float>(std::sin(angle));
    }
  return t;
}

void rope(float* x, int64_t n_rows, int64_t n_heads, const RopeTable& table) {
  const int64_t half = table.half;
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* c = table.cos.data() + r * half;
    const float* s = table.sin.data() + r * half;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (r * n_heads + h) * 2 * half;
      for (int64_t i = 0; i < half; ++i) {
        const float a = v[i];
        const float b = v[i + half];
        v[i] = a * c[i] - b * s[i];
        v[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

}  // namespace infilld::kernels
