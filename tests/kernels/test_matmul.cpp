// The matmul paths against a double-precision reference and against each other.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/packed_bf16.h"

using namespace infilld;
using namespace infilld::kernels;

namespace {

struct Case {
  int64_t t, n, k;
};

// Reference y = x . W^T in double, W given as float32 (already rounded to the stored dtype).
std::vector<double> reference(const std::vector<float>& x, const std::vector<float>& w, const Case& c) {
  std::vector<double> y(c.t * c.n, 0.0);
  for (int64_t i = 0; i < c.t; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < c.k; ++p) s += double(x[i * c.k + p]) * w[j * c.k + p];
      y[i * c.n + j] = s;
    }
  return y;
}

double max_rel_error(const std::vector<float>& y, const std::vector<double>& ref) {
  double max_ref = 0, max_err = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(ref[i]));
    max_err = std::max(max_err, std::fabs(y[i] - ref[i]));
  }
  return max_err / max_ref;
}

}  // namespace

TEST_CASE("matmul: every path matches the reference on odd shapes") {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Case c : {Case{1, 1, 1}, Case{3, 5, 7}, Case{5, 9, 33}, Case{17, 70, 96}, Case{4, 300, 130},
                 Case{33, 257, 256}, Case{2, 1000, 896}, Case{61, 35, 40}}) {
    CAPTURE(c.t);
    CAPTURE(c.n);
    CAPTURE(c.k);
    std::vector<float> x(c.t * c.k), w32(c.n * c.k);
    for (float& v : x) v = normal(rng);
    for (float& v : w32) v = normal(rng);
    std::vector<uint16_t> wbf(w32.size()), wf16(w32.size());
    std::vector<float> w_bf_as_f32(w32.size());
    for (size_t i = 0; i < w32.size(); ++i) {
      wbf[i] = f32_to_bf16(w32[i]);
      w_bf_as_f32[i] = bf16_to_f32(wbf[i]);
    }
    std::vector<float> y(c.t * c.n);

    matmul(x.data(), c.t, Weight{DType::F32, w32.data(), c.n, c.k}, y.data());
    CHECK(max_rel_error(y, reference(x, w32, c)) < 1e-5);

    const Weight wb{DType::BF16, wbf.data(), c.n, c.k};
    const auto ref_bf = reference(x, w_bf_as_f32, c);
    if (onednn::linear(x.data(), c.t, wb, y.data())) {
      CHECK(max_rel_error(y, ref_bf) < 1e-2);  // activations rounded to BF16 as well
    } else {
      MESSAGE("oneDNN BF16 matmul not available on this CPU");
    }
    std::vector<uint16_t> w16(w32.size());
    std::vector<float> w16_as_f32(w32.size());
    for (size_t i = 0; i < w32.size(); ++i) {
      // A value exactly representable in F16 (BF16's 8-bit mantissa fits F16's 10-bit one
      // for these magnitudes), so the reference is exact: encode it by hand.
      const float v = w_bf_as_f32[i];
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      const uint32_t sign = (bits >> 16) & 0x8000u;
      const int exponent = int((bits >> 23) & 0xff) - 127 + 15;
      w16[i] = (exponent <= 0) ? uint16_t(sign) : uint16_t(sign | (uint32_t(exponent) << 10) | ((bits >> 13) & 0x3ffu));
      w16_as_f32[i] = f16_to_f32(w16[i]);
    }
    matmul(x.data(), c.t, Weight{DType::F16, w16.data(), c.n, c.k}, y.data());
    CHECK(max_rel_error(y, reference(x, w16_as_f32, c)) < 1e-5);
    matmul_converted_panels(x.data(), c.t, wb, y.data());
    CHECK(max_rel_error(y, ref_bf) < 1e-5);
    if (cpu_has_avx2_fma()) {
      // The weights widened in registers, float32 activations and sums: the reference's
      // arithmetic up to the order of the additions.
      matmul_bf16_avx2(x.data(), c.t, wb, y.data());
      CHECK(max_rel_error(y, ref_bf) < 1e-5);
      // The same weights packed in panels of 16 rows (the last one padded), as the CPU
      // backend lays them out on AVX2 machines: every shape through matmul's dispatch, the
      // kernel itself and the float32 panels.
      std::vector<std::byte> storage;
      const Weight packed = pack_bf16(wb, storage);
      CHECK(packed.packed);
      CHECK(packed.bytes() == (c.n + 15) / 16 * 16 * c.k * 2);
      std::fill(y.begin(), y.end(), 0.0f);  // each path below writes every output itself
      matmul_bf16_packed_avx2(x.data(), c.t, packed, y.data());
      CHECK(max_rel_error(y, ref_bf) < 1e-5);
      std::fill(y.begin(), y.end(), 0.0f);
      matmul(x.data(), c.t, packed, y.data());
      CHECK(max_rel_error(y, ref_bf) < 1e-5);
      std::fill(y.begin(), y.end(), 0.0f);
      matmul_converted_panels(x.data(), c.t, packed, y.data());
      CHECK(max_rel_error(y, ref_bf) < 1e-5);
      // Rows back out of the panels: exactly the stored values.
      std::vector<float> rows(c.n * c.k);
      unpack_bf16_rows(packed, 0, c.n, rows.data());
      CHECK(rows == w_bf_as_f32);
      const std::vector<int32_t> ids = {static_cast<int32_t>(c.n - 1), 0};
      std::vector<float> looked_up(2 * c.k);
      embedding(packed, ids.data(), 2, looked_up.data());
      CHECK(std::equal(looked_up.begin(), looked_up.begin() + c.k, w_bf_as_f32.begin() + (c.n - 1) * c.k));
      CHECK(std::equal(looked_up.begin() + c.k, looked_up.end(), w_bf_as_f32.begin()));
    } else {
      MESSAGE("AVX2 path not tested: this CPU lacks AVX2 + FMA");
    }
    if (cpu_has_avx512_bf16()) {
      // Activations are rounded to BF16 too: relative error of order 2^-8 / sqrt(k).
      matmul_bf16_avx512(x.data(), c.t, wb, y.data());
      CHECK(max_rel_error(y, ref_bf) < 1e-2);
    } else {
      MESSAGE("AVX-512 BF16 path not tested: this CPU lacks it");
    }
  }
}

TEST_CASE("convert: bf16 and f16 round trips and special values") {
  CHECK(bf16_to_f32(f32_to_bf16(1.0f)) == 1.0f);
  CHECK(bf16_to_f32(f32_to_bf16(-2.5f)) == -2.5f);
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  CHECK(std::isinf(bf16_to_f32(f32_to_bf16(INFINITY))));
  // Round to nearest even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and goes to 1.
  CHECK(bf16_to_f32(f32_to_bf16(1.0f + 1.0f / 256)) == 1.0f);
  CHECK(f16_to_f32(0x3c00) == 1.0f);
  CHECK(f16_to_f32(0xc000) == -2.0f);
  CHECK(f16_to_f32(0x0001) == doctest::Approx(5.960464477539063e-08));  // smallest subnormal
  CHECK(std::isinf(f16_to_f32(0x7c00)));
  CHECK(std::isnan(f16_to_f32(0x7e00)));
}

TEST_CASE("matmul: INFILLD_CPU_ISA caps the instruction set the kernels use") {
  using infilld::kernels::CpuIsa;
  const CpuIsa detected = infilld::kernels::cpu_isa_detected(), used = infilld::kernels::cpu_isa();
  CHECK(used <= detected);
  const char* cap = std::getenv("INFILLD_CPU_ISA");
  if (cap != nullptr && std::string(cap) == "avx2") {
    CHECK(used <= CpuIsa::Avx2);
    MESSAGE("capped at " << infilld::kernels::cpu_isa_name(used) << " (the CPU has "
                         << infilld::kernels::cpu_isa_name(detected) << ")");
  } else if (cap == nullptr || *cap == '\0') {
    CHECK(used == detected);
  }
  // BF16 weights under the cap: the same product as the reference whatever the path.
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const Case c{6, 40, 72};
  std::vector<float> x(c.t * c.k), w32(c.n * c.k), y(c.t * c.n);
  for (float& v : x) v = normal(rng);
  std::vector<uint16_t> wbf(w32.size());
  for (size_t i = 0; i < w32.size(); ++i) {
    wbf[i] = f32_to_bf16(normal(rng));
    w32[i] = bf16_to_f32(wbf[i]);
  }
  matmul(x.data(), c.t, Weight{DType::BF16, wbf.data(), c.n, c.k}, y.data());
  CHECK(max_rel_error(y, reference(x, w32, c)) < 1e-2);
}
