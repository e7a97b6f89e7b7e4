// Scalar conversions between the stored dtypes and float32 (portable; the hot paths use
// the vectorised versions in convert.cpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "common/dtype.h"

namespace infilld::kernels {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round to nearest even, as PyTorch and the hardware instructions do; NaN stays NaN.
inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float f16_to_f32(uint16_t h);

// Converts n elements of dtype `t` starting at `src` to float32 (for Q8_0: whole blocks,
// from a block's start).
void to_f32(DType t, const void* src, int64_t n, float* dst);

}  // namespace infilld::kernels
