// Writes NumPy .npy files (format version 1.0), so that logits can be compared with any
// other implementation with numpy.load.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "common/status.h"

namespace infilld {

// Writes a float32 little-endian C-order array of the given shape.
Status write_npy_f32(const std::filesystem::path& path, std::span<const float> data,
                     std::span<const int64_t> shape);

}  // namespace infilld
