// Any byte string given to the safetensors parser returns a value or an error, never a
// crash or an out-of-bounds read (ASan watches).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/checkpoint/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an 8-aligned buffer sized exactly, so ASan sees any read past the end.
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  auto result = infilld::engine::parse_safetensors(bytes, "fuzz.safetensors");
  if (result) {
    for (const auto& t : *result) {
      // Touch the first and last byte of each tensor: they must lie inside the buffer.
      if (t.n_bytes > 0) {
        volatile std::byte first = t.data[0];
        volatile std::byte last = t.data[t.n_bytes - 1];
        (void)first;
        (void)last;
      }
    }
  }
  return 0;
}
