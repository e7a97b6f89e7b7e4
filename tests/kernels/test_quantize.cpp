// 8-bit weights (kernels/cpu/quantize.h): the F16 scales, the quantization step, and the Q8
// matmul's AVX2 and portable kernels against each other and against the float product.
// The names start with "matmul q8" so that scripts/test.sh runs them again under
// INFILLD_CPU_ISA=avx2.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quantize.h"

using namespace infilld;
using namespace infilld::kernels;

namespace {

std::vector<double> reference(const std::vector<float>& x, const std::vector<float>& w, int64_t t, int64_t n,
                              int64_t k) {
  std::vector<double> y(static_cast<size_t>(t * n), 0.0);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += double(x[i * k + p]) * w[j * k + p];
      y[i * n + j] = s;
    }
  return y;
}

template <class A, class B>
double max_rel(const A& a, const B& b) {
  double scale = 0, err = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::fabs(double(b[i])));
    err = std::max(err, std::fabs(double(a[i]) - double(b[i])));
  }
  return err / scale;
}

}  // namespace

TEST_CASE("matmul q8: F16 scales round to nearest even, subnormals and overflow included") {
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(-2.0f) == 0xc000);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);             // rounds up to infinity
  CHECK(f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);   // a tie: to the even mantissa
  CHECK(f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);   // a tie: to the even mantissa, up
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // the smallest subnormal
  CHECK(f32_to_f16(std::ldexp(1.0f, -26)) == 0x0000);
  CHECK(f32_to_f16(0.0f) == 0x0000);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> exponent(-14.0f, 15.0f);
  for (int i = 0; i < 10000; ++i) {
    const float v = std::exp2(exponent(rng));
    CHECK(std::fabs(f16_to_f32(f32_to_f16(v)) - v) <= v * std::ldexp(1.0f, -11));
  }
}

TEST_CASE("matmul q8: each value is within half a step of its block's scale") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const int64_t rows = 37, cols = 96;
  std::vector<uint16_t> bf(static_cast<size_t>(rows * cols));
  std::vector<float> values(bf.size());
  for (size_t i = 0; i < bf.size(); ++i) {
    bf[i] = f32_to_bf16(i % 97 == 0 ? 0.0f : normal(rng));
    values[i] = bf16_to_f32(bf[i]);
  }
  for (int64_t c = 0; c < cols; ++c) values[5 * cols + c] = 0.0f, bf[5 * cols + c] = 0;  // an all-zero row
  const Weight w{DType::BF16, bf.data(), rows, cols};
  REQUIRE(can_quantize_q8(w));
  std::vector<std::byte> storage;
  const Weight q = quantize_q8(w, storage);
  CHECK(q.dtype == DType::Q8_0);
  CHECK(q.bytes() == rows * cols / 32 * 34);
  CHECK(static_cast<int64_t>(storage.size()) == q.bytes());
  std::vector<float> back(values.size());
  dequantize_q8(storage.data(), rows * cols, back.data());
  for (int64_t b = 0; b < rows * cols / 32; ++b) {
    uint16_t d16;
    std::memcpy(&d16, storage.data() + b * 34, 2);
    const float d = f16_to_f32(d16);
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(values[b * 32 + i]));
    CHECK(d == doctest::Approx(amax / 127).epsilon(1e-3));
    for (int i = 0; i < 32; ++i) CHECK(std::fabs(back[b * 32 + i] - values[b * 32 + i]) <= 0.5f * d * 1.01f);
  }
  CHECK_FALSE(can_quantize_q8(Weight{DType::BF16, bf.data(), rows * cols / 48, 48}));  // rows not whole blocks
  CHECK_FALSE(can_quantize_q8(Weight{DType::BF16, bf.data(), 1, cols}));               // a vector
  CHECK_FALSE(can_quantize_q8(q));                                                     // already quantized
}

TEST_CASE("matmul q8: the AVX2 and portable kernels agree and stay within the quantization error") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  struct Case {
    int64_t t, n, k;
  };
  for (Case c : {Case{1, 1, 32}, Case{1, 7, 64}, Case{3, 5, 96}, Case{4, 300, 256}, Case{5, 9, 896},
                 Case{16, 70, 128}, Case{32, 33, 64}, Case{40, 65, 96}}) {
    CAPTURE(c.t);
    CAPTURE(c.n);
    CAPTURE(c.k);
    std::vector<float> x(static_cast<size_t>(c.t * c.k)), w(static_cast<size_t>(c.n * c.k));
    for (float& v : x) v = normal(rng);
    for (float& v : w) v = 0.05f * normal(rng);
    std::vector<std::byte> storage;
    const Weight q = quantize_q8(Weight{DType::F32, w.data(), c.n, c.k}, storage);
    const auto ref = reference(x, w, c.t, c.n, c.k);

    std::vector<float> portable(static_cast<size_t>(c.t * c.n)), chosen(portable.size());
    matmul_q8_portable(x.data(), c.t, q, portable.data());
    matmul(x.data(), c.t, q, chosen.data());  // the integer kernel up to 16 rows, float panels above
    // Weights and activations each off by at most half a step (1/254 of a block's largest
    // value): about 1/127 of the products' scale in the worst case, far less in norm.
    CHECK(max_rel(portable, ref) < 2e-2);
    CHECK(max_rel(chosen, ref) < 2e-2);
    if (cpu_has_avx2_fma()) {
      std::vector<float> avx2(portable.size());
      matmul_q8_avx2(x.data(), c.t, q, avx2.data());
      CHECK(max_rel(avx2, portable) < 1e-5);  // the same integer sums, other float order
    }
  }
}

TEST_CASE("matmul q8: with the pool's threads sharing the weight blocks, the result is the portable kernel's") {
  // A weight of several 256 KB blocks, so that more than one thread takes blocks: each must
  // read the caller's quantized rows (not a thread-local copy of its own).
  infilld::ThreadPool& pool = infilld::ThreadPool::global();
  if (pool.size() < 2 || !cpu_has_avx2_fma()) {
    MESSAGE("one core, or no AVX2: nothing to share");
    return;
  }
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t t = 8, n = 2048, k = 512;  // 2048 x 544 bytes: 5 blocks
  std::vector<float> x(static_cast<size_t>(t * k)), w(static_cast<size_t>(n * k));
  for (float& v : x) v = normal(rng);
  for (float& v : w) v = 0.05f * normal(rng);
  std::vector<std::byte> storage;
  const Weight q = quantize_q8(Weight{DType::F32, w.data(), n, k}, storage);
  std::vector<float> portable(static_cast<size_t>(t * n)), shared(portable.size());
  matmul_q8_portable(x.data(), t, q, portable.data());
  pool.set_team(pool.size());
  for (int round = 0; round < 3; ++round) {  // the pool's threads, once they have run before too
    std::fill(shared.begin(), shared.end(), 0.0f);
    matmul_q8_avx2(x.data(), t, q, shared.data());
    CHECK(max_rel(shared, portable) < 1e-5);
  }
  pool.set_team(1);  // back to one thread for the cases after this one
}
