#pragma once

#include <cstdint>
#include <vector>

namespace infilld::kernels {

// cos and sin of every (position, frequency) pair, built once per forward pass and shared
// by the q and k of every layer. Angles are computed in double, so long positions keep
// their precision: angle = pos * theta^(-2i/head_dim) for i < head_dim/2.
struct RopeTable {
  int64_t half = 0;        // head_dim / 2
  std::vector<float> cos;  // [n_rows, half]
  std::vector<float> sin;  // [n_rows, half]
};

RopeTable rope_table(const int32_t* positions, int64_t n_rows, int64_t head_dim, double theta);

// Rotary position embedding, rotate-half form, in place on x: [n_rows, n_heads * head_dim],
// row r rotated by row r of the table:
//   x'[i]        = x[i] cos - x[i + half] sin
//   x'[i + half] = x[i + half] cos + x[i] sin
void rope(float* x, int64_t n_rows, int64_t n_heads, const RopeTable& table);

}  // namespace infilld::kernels
