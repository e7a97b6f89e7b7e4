// Our own reader of the safetensors format over mmap.
//
// Layout: u64 little-endian header length N, N bytes of JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the data area; offsets are relative to its start. Every header field is validated
// before any tensor is used: bounded header length, offsets inside the file, shape x dtype
// size = byte span, no overlapping tensors, aligned data, supported dtypes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"
#include "common/dtype.h"

namespace infilld::engine {

// A tensor inside a mapped file. `data` points into the mapping and lives as long as it.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t n_bytes = 0;

  int64_t n_elements() const;
};

// Headers larger than this are refused (the safetensors reference uses the same bound).
inline constexpr uint64_t kMaxSafetensorsHeader = 100ull << 20;

// Validates a whole safetensors image (header and data area) and returns its tensors in
// header order. `file_name` is used in messages. Never reads outside `bytes`.
Expected<std::vector<TensorView>> parse_safetensors(std::span<const std::byte> bytes,
                                                    const std::string& file_name);

class SafetensorsFile {
 public:
  static Expected<SafetensorsFile> open(const std::filesystem::path& path);

  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::filesystem::path& path() const { return file_.path(); }
  // Whether the file is still the one mapped (MappedFile::check).
  Status check() const { return file_.check(); }

 private:
  MappedFile file_;
  std::vector<TensorView> tensors_;
};

std::string shape_text(std::span<const int64_t> shape);

}  // namespace infilld::engine
