// A mapped file that changes on disk: check() names what happened, and a read past the end
// of a file truncated under the mapping (SIGBUS without the guard) reads zeros instead of
// killing the process, and marks the mapping faulted.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/mapped_file.h"

namespace fs = std::filesystem;
using infilld::MappedFile;

namespace {

fs::path write_file(const std::string& name, size_t bytes, char fill) {
  const fs::path path = fs::temp_directory_path() / ("infilld-test-" + name + "-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(bytes, fill);
  return path;
}

}  // namespace

TEST_CASE("mapped file: truncated under the mapping, a read reads zeros and check() says so") {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const fs::path path = write_file("truncated", 8 * page, 'x');
  auto file = MappedFile::open(path);
  REQUIRE(file.is_ok());
  CHECK(file->check().is_ok());
  fs::resize_file(path, page);  // in place: the same inode, 7 pages gone
  const auto* bytes = reinterpret_cast<const volatile char*>(file->bytes().data());
  CHECK(bytes[0] == 'x');
  CHECK(bytes[5 * page + 3] == 0);  // would be SIGBUS without the guard
  const infilld::Status s = file->check();
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find(path.string()) != std::string::npos);
  CHECK(s.message().find("truncated or rewritten") != std::string::npos);
  fs::remove(path);
}

TEST_CASE("mapped file: rewritten, replaced or removed files are told apart") {
  const fs::path path = write_file("changed", 100, 'a');
  {
    auto file = MappedFile::open(path);
    REQUIRE(file.is_ok());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(120, 'b');  // rewritten in place
    CHECK(file->check().message().find("changed on disk (120 bytes, was 100)") != std::string::npos);
  }
  {
    auto file = MappedFile::open(path);
    REQUIRE(file.is_ok());
    const fs::path other = write_file("changed-new", 120, 'c');
    fs::rename(other, path);  // replaced by a rename: our mapping still holds the old file
    CHECK(file->check().message().find("replaced on disk") != std::string::npos);
    fs::remove(path);
    CHECK(file->check().message().find("removed") != std::string::npos);
  }
}
