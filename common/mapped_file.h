// A read-only memory mapping of a whole file (RAII). Checkpoint weights are used straight
// from the mapping, so a 7B model costs page cache, not a private copy.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "common/status.h"

namespace infilld {

class MappedFile {
 public:
  static Expected<MappedFile> open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release();

  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::filesystem::path path_;
};

// Reads a whole (small) text file, for configs and tokenizers.
Expected<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace infilld
