#include "kernels/cpu/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/thread_pool.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/load_threads.h"

namespace infilld::kernels {

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // 65520 and above round to infinity
  if (x < 0x38800000u) {                        // below 2^-14: an F16 subnormal, in units of 2^-24
    float a;
    std::memcpy(&a, &x, 4);
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  uint32_t r = x - (112u << 23);  // exponent bias 127 -> 15
  r += 0xfffu + ((r >> 13) & 1u);  // round the 13 dropped bits to nearest even
  return sign | static_cast<uint16_t>(r >> 13);
}

bool can_quantize_q8(const Weight& w) {
  return !w.empty() && w.dtype != DType::Q8_0 && w.rows > 1 && w.cols > 0 && w.cols % kQ8Group == 0;
}

namespace {

float block_amax(const float* g) {
  float amax = 0.0f;
  for (int64_t i = 0; i < kQ8Group; ++i) amax = std::max(amax, std::fabs(g[i]));
  return amax;
}

// q = round(g / d), within +-127 (0 for a zero scale).
void quantize_block(const float* g, float d, int8_t* q) {
  const float inv = d > 0.0f ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < kQ8Group; ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(g[i] * inv), -127.0f, 127.0f));
}

// One row of n values (a multiple of 32) into Q8_0 blocks.
void quantize_row(const float* v, int64_t n, std::byte* out) {
  for (int64_t b = 0; b < n / kQ8Group; ++b, out += kQ8BlockBytes) {
    const float* g = v + b * kQ8Group;
    const uint16_t d16 = f32_to_f16(block_amax(g) / 127.0f);
    std::memcpy(out, &d16, 2);
    quantize_block(g, f16_to_f32(d16), reinterpret_cast<int8_t*>(out + 2));  // the scale the kernels use
  }
}

}  // namespace

Weight quantize_q8(const Weight& w, std::vector<std::byte>& storage) {
  Weight q{DType::Q8_0, nullptr, w.rows, w.cols};
  storage.assign(static_cast<size_t>(q.bytes()), std::byte{0});
  q.data = storage.data();
  on_load_threads(w.rows, w.bytes(), [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = r0; r < r1; ++r) {
      to_f32(w.dtype, w.row(r), w.cols, row.data());
      quantize_row(row.data(), w.cols, storage.data() + r * q.row_bytes());
    }
  });
  return q;
}

void dequantize_q8(const std::byte* blocks, int64_t n, float* dst) {
  for (int64_t b = 0; b < n / kQ8Group; ++b, blocks += kQ8BlockBytes) {
    uint16_t d16;
    std::memcpy(&d16, blocks, 2);
    const float d = f16_to_f32(d16);
    const auto* q = reinterpret_cast<const int8_t*>(blocks + 2);
    for (int64_t i = 0; i < kQ8Group; ++i) dst[b * kQ8Group + i] = d * static_cast<float>(q[i]);
  }
}

void quantize_rows_q8(const float* x, int64_t rows, int64_t cols, QuantizedRows& out) {
  const int64_t groups = cols / kQ8Group;
  out.q.resize(static_cast<size_t>(rows * cols));
  out.scale.resize(static_cast<size_t>(rows * groups));
  for (int64_t g = 0; g < rows * groups; ++g) {
    const float* v = x + g * kQ8Group;  // rows are contiguous: block g of the whole
    out.scale[g] = block_amax(v) / 127.0f;
    quantize_block(v, out.scale[g], out.q.data() + g * kQ8Group);
  }
}

void matmul_q8_portable(const float* x, int64_t n_rows, const Weight& w, float* y) {
  const int64_t k = w.cols, groups = k / kQ8Group;
  QuantizedRows xq;
  quantize_rows_q8(x, n_rows, k, xq);
  ThreadPool::global().parallel_for(w.rows, 16, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const std::byte* row = w.row(n);
      for (int64_t t = 0; t < n_rows; ++t) {
        float sum = 0.0f;
        for (int64_t b = 0; b < groups; ++b) {
          const std::byte* blk = row + b * kQ8BlockBytes;
          uint16_t d16;
          std::memcpy(&d16, blk, 2);
          const auto* qw = reinterpret_cast<const int8_t*>(blk + 2);
          const int8_t* qx = xq.q.data() + t * k + b * kQ8Group;
          int32_t dot = 0;
          for (int64_t i = 0; i < kQ8Group; ++i) dot += int32_t{qx[i]} * int32_t{qw[i]};
          sum += xq.scale[t * groups + b] * f16_to_f32(d16) * static_cast<float>(dot);
        }
        y[t * w.rows + n] = sum;
      }
    }
  });
}

}  // namespace infilld::kernels
