// A weight matrix or vector as the kernels read it: row-major [rows, cols] in its dtype,
// pointing into the mapped checkpoint file (its stored dtype, not copied) or, for Q8_0,
// into the blocks the model quantized at load (quantize.h). On AVX2 CPUs BF16 matrices are
// repacked at load into panels of 16 rows (packed_bf16.h): `packed` says so, and row() does
// not apply.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/dtype.h"

namespace infilld::kernels {

// Q8_0: each run of 32 values of a row is one block of an F16 scale and 32 int8 values.
constexpr int64_t kQ8Group = 32;
constexpr int64_t kQ8BlockBytes = 2 + kQ8Group;
// Packed BF16 (packed_bf16.h): panels of this many rows.
constexpr int64_t kPanelRows = 16;

struct Weight {
  DType dtype = DType::F32;
  const void* data = nullptr;
  int64_t rows = 0;  // for a vector: 1
  int64_t cols = 0;
  bool packed = false;  // BF16 in panels of kPanelRows rows (packed_bf16.h)

  bool empty() const { return data == nullptr; }
  int64_t row_bytes() const {
    return dtype == DType::Q8_0 ? cols / kQ8Group * kQ8BlockBytes : cols * static_cast<int64_t>(dtype_size(dtype));
  }
  int64_t bytes() const { return (packed ? (rows + kPanelRows - 1) / kPanelRows * kPanelRows : rows) * row_bytes(); }
  const std::byte* row(int64_t r) const { return static_cast<const std::byte*>(data) + r * row_bytes(); }
};

}  // namespace infilld::kernels
