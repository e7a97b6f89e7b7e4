// Element-wise ops and the oneDNN helpers behind them, against their formulas.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/rope.h"

using namespace infilld::kernels;

TEST_CASE("swiglu: silu(gate) * up, in place or not") {
  std::vector<float> gate, up;
  for (int i = -50; i < 50; ++i) {
    gate.push_back(0.37f * i);
    up.push_back(1.0f - 0.01f * i);
  }
  std::vector<float> out(gate.size()), in_place = gate;
  swiglu(gate.data(), up.data(), out.data(), int64_t(gate.size()));
  swiglu(in_place.data(), up.data(), in_place.data(), int64_t(gate.size()));
  for (size_t i = 0; i < gate.size(); ++i) {
    const double g = gate[i];
    const double expected = g / (1.0 + std::exp(-g)) * up[i];
    CHECK(out[i] == doctest::Approx(expected).epsilon(1e-5));
    CHECK(in_place[i] == out[i]);
  }
}

TEST_CASE("onednn: bf16 conversion rounds to nearest even like the scalar one") {
  std::vector<float> x;
  for (int i = 0; i < 1000; ++i) x.push_back(std::ldexp(1.0f + i / 997.0f, (i % 20) - 10) * (i % 3 ? 1 : -1));
  x.push_back(1.0f + 1.0f / 256);  // a tie
  std::vector<uint16_t> ours(x.size());
  onednn::to_bf16(x.data(), int64_t(x.size()), ours.data());
  for (size_t i = 0; i < x.size(); ++i) CHECK(ours[i] == f32_to_bf16(x[i]));
}

TEST_CASE("onednn: softmax rows, -inf entries become zeros") {
  const float inf = INFINITY;
  std::vector<float> x = {1, 2, 3, -inf, 0, 0, -inf, -inf};
  onednn::softmax_rows(x.data(), 2, 4);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(x[0] == doctest::Approx(std::exp(1.0) / z));
  CHECK(x[2] == doctest::Approx(std::exp(3.0) / z));
  CHECK(x[3] == 0.0f);
  CHECK(x[4] == doctest::Approx(0.5));
  CHECK(x[6] == 0.0f);
}

TEST_CASE("rope: rotates each half-pair by position x frequency") {
  const int32_t positions[2] = {0, 5};
  const RopeTable t = rope_table(positions, 2, 4, 100.0);
  // Two rows, one head of dim 4: pairs (0, 2) and (1, 3) with frequencies 1 and 1/10.
  std::vector<float> x = {1, 2, 3, 4, 1, 2, 3, 4};
  rope(x.data(), 2, 1, t);
  CHECK(x[0] == 1.0f);  // position 0 is the identity
  CHECK(x[3] == 4.0f);
  CHECK(x[4] == doctest::Approx(1 * std::cos(5.0) - 3 * std::sin(5.0)));
  CHECK(x[6] == doctest::Approx(3 * std::cos(5.0) + 1 * std::sin(5.0)));
  CHECK(x[5] == doctest::Approx(2 * std::cos(0.5) - 4 * std::sin(0.5)));
  CHECK(x[7] == doctest::Approx(4 * std::cos(0.5) + 2 * std::sin(0.5)));
}
