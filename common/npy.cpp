#include "common/npy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace infilld {

Status write_npy_f32(const std::filesystem::path& path, std::span<const float> data,
                     std::span<const int64_t> shape) {
  std::string dims;
  int64_t n = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    n *= d;
  }
  if (shape.size() > 1) dims.resize(dims.size() - 1);  // "(2, 3)" but "(2,)"
  if (n != static_cast<int64_t>(data.size()))
    return error("write_npy_f32: shape holds ", n, " elements but the data has ", data.size());
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple
  // of 64 and ended by a newline.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) return error(path.string(), ": cannot write: ", std::strerror(errno));
  const uint16_t header_len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(header_len & 0xff), static_cast<char>(header_len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  if (!out) return error(path.string(), ": write failed");
  return Status::ok();
}

}  // namespace infilld
