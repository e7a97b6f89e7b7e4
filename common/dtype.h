// Element types of weights. F32, F16 and BF16 are what a checkpoint may store, and weights
// stay in them; Q8_0 is no checkpoint type: 8-bit weights quantized at load (--quantize q8,
// kernels/cpu/quantize.h), in blocks of 32 values with one F16 scale. Activations are
// always float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace infilld {

enum class DType : uint8_t { F32, F16, BF16, Q8_0 };

// Bytes per element of the checkpoint types. Q8_0 has no per-element size: its rows are
// kernels::row_bytes() (weight.h).
constexpr size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
  }
  return "?";
}

// The safetensors spelling ("F32", "F16", "BF16"); nullopt for anything we do not run.
inline std::optional<DType> parse_dtype(std::string_view s) {
  if (s == "F32") return DType::F32;
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  return std::nullopt;
}

}  // namespace infilld
