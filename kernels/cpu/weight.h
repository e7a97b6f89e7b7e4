// A weight matrix or vector as stored in the checkpoint: row-major [rows, cols] in its
// stored dtype, pointing into the mapped file. Kernels read it without copying it.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace infilld::kernels {

struct Weight {
  DType dtype = DType::F32;
  const void* data = nullptr;
  int64_t rows = 0;  // for a vector: 1
  int64_t cols = 0;

  bool empty() const { return data == nullptr; }
};

}  // namespace infilld::kernels
