#include "common/mapped_file.h"

#include "common/fault_guard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace infilld {

Expected<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return error(path.string(), ": file not found");
    return error(path.string(), ": cannot open: ", std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return error(path.string(), ": not a regular file");
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  file.device_ = static_cast<uint64_t>(st.st_dev);
  file.inode_ = static_cast<uint64_t>(st.st_ino);
  file.mtime_ns_ = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (file.size_ > 0) {
    void* p = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return error(path.string(), ": cannot map: ", std::strerror(err));
    }
    file.data_ = static_cast<const std::byte*>(p);
    file.guard_slot_ = guard_mapping(p, file.size_);
  }
  ::close(fd);
  return file;
}

void release_pages(const void* p, size_t n) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
    device_ = other.device_;
    inode_ = other.inode_;
    mtime_ns_ = other.mtime_ns_;
    guard_slot_ = std::exchange(other.guard_slot_, -1);
  }
  return *this;
}

MappedFile::~MappedFile() { release(); }

Status MappedFile::check() const {
  if (mapping_faulted(guard_slot_))
    return error(path_.string(), ": the file was truncated or rewritten while in use");
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return error(path_.string(), ": the file was removed while in use");
  if (static_cast<uint64_t>(st.st_dev) != device_ || static_cast<uint64_t>(st.st_ino) != inode_)
    return error(path_.string(), ": the file was replaced on disk");
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (static_cast<size_t>(st.st_size) != size_ || mtime_ns != mtime_ns_)
    return error(path_.string(), ": the file changed on disk (", st.st_size, " bytes, was ", size_, ")");
  return Status::ok();
}

void MappedFile::release() {
  unguard_mapping(std::exchange(guard_slot_, -1));
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

Expected<std::string> read_text_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return error(path.string(), ": file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(path.string(), ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return error(path.string(), ": read failed");
  return text.str();
}

}  // namespace infilld
