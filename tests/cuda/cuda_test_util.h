// Helpers of the CUDA tests: device buffers from host vectors and back, stored-dtype
// rounding, and closeness checks.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cuda/device.h"

namespace infilld::test {

namespace kc = kernels::cuda;

#ifdef INFILLD_CUDA_EMU
inline constexpr bool kEmulated = true;
#else
inline constexpr bool kEmulated = false;
#endif

// The sizes a test runs: the emulator takes small shapes, the GPU also the real ones
// (unless INFILLD_CUDA_TEST_SMALL is set: the runs under compute-sanitizer).
inline bool big_shapes() { return !kEmulated && std::getenv("INFILLD_CUDA_TEST_SMALL") == nullptr; }

struct Device {
  kc::Stream stream = kc::Stream::create().value();
  kc::StreamHandle s() const { return stream.handle(); }

  template <class T>
  kc::Buffer upload(const std::vector<T>& v) {
    auto b = kc::Buffer::allocate(std::max<size_t>(v.size(), 1) * sizeof(T), "a test buffer");
    REQUIRE(b);
    REQUIRE(kc::copy_to_device(b->data(), v.data(), v.size() * sizeof(T), s()));
    return std::move(*b);
  }
  kc::Buffer zeros(size_t bytes) {
    std::vector<unsigned char> z(bytes, 0);
    return upload(z);
  }
  template <class T>
  std::vector<T> download(const kc::Buffer& b, size_t n) {
    std::vector<T> out(n);
    REQUIRE(kc::copy_to_host(out.data(), b.data(), n * sizeof(T), s()));
    REQUIRE(stream.synchronize());
    REQUIRE(kc::launch_status());
    return out;
  }
};

inline std::vector<float> normal_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Values as stored in `t` (rounded) and the same values as float32.
struct Stored {
  std::vector<unsigned char> bytes;
  std::vector<float> f32;
};

inline Stored store_as(DType t, const std::vector<float>& v) {
  Stored s;
  s.bytes.resize(v.size() * dtype_size(t));
  s.f32.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::F32) {
      std::memcpy(s.bytes.data() + 4 * i, &v[i], 4);
      s.f32[i] = v[i];
      continue;
    }
    uint16_t h = 0;
    if (t == DType::BF16) {
      h = kernels::f32_to_bf16(v[i]);
    } else {  // F16: the mantissa truncated (any half will do, as long as bits and value agree)
      const float a = std::fabs(v[i]);
      if (a >= 6.2e-5f && a < 65504.0f) {
        int e = 0;
        const float m = std::frexp(a, &e);  // a = m 2^e, m in [0.5, 1)
        h = static_cast<uint16_t>(((e - 1 + 15) << 10) | static_cast<uint16_t>((m * 2.0f - 1.0f) * 1024.0f));
      }
      h = static_cast<uint16_t>(h | (v[i] < 0 ? 0x8000u : 0u));
    }
    std::memcpy(s.bytes.data() + 2 * i, &h, 2);
    s.f32[i] = t == DType::BF16 ? kernels::bf16_to_f32(h) : kernels::f16_to_f32(h);
  }
  return s;
}

// Device output in dtype `t` (n elements) as float32.
inline std::vector<float> as_f32(DType t, const std::vector<unsigned char>& bytes, size_t n) {
  std::vector<float> out(n);
  kernels::to_f32(t, bytes.data(), static_cast<int64_t>(n), out.data());
  return out;
}

// Largest |a - b| / (|b| + floor) over the elements.
inline double max_rel_error(const std::vector<float>& a, const std::vector<float>& b, double floor = 1e-2) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])) / (std::fabs(double(b[i])) + floor));
  return worst;
}

// How far a value stored in `t` may sit from the float32 truth, relatively.
inline double tolerance(DType t) { return t == DType::F32 ? 1e-4 : t == DType::F16 ? 2e-3 : 1e-2; }

}  // namespace infilld::test
