// A read-only memory mapping of a whole file (RAII). Checkpoint weights are used straight
// from the mapping, so a 7B model costs page cache, not a private copy. The mapping is
// guarded (common/fault_guard.h): a file truncated under it does not crash the process,
// and check() says whether the file is still the one mapped.
#pragma once

#include <cstddef>
#include <cstdint>
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

  // Whether the file on disk is still the one mapped, unread-from since a change: an error
  // naming the file when it was truncated or rewritten in place (size or modification time
  // differ, or a read hit a page past its new end), replaced or removed.
  Status check() const;

 private:
  void release();

  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::filesystem::path path_;
  // The file's identity when mapped.
  uint64_t device_ = 0, inode_ = 0;
  int64_t mtime_ns_ = 0;
  int guard_slot_ = -1;
};

// Tells the kernel that [p, p + n), inside a mapping, will not be read again: its whole
// pages leave the process's resident memory (they stay in the page cache, and a later read
// maps them again). For weights quantized at load.
void release_pages(const void* p, size_t n);

// Reads a whole (small) text file, for configs and tokenizers.
Expected<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace infilld
