// Any text given as tokenizer.json loads or returns an error; whatever loads must encode
// and decode arbitrary bytes without crashing. The input's first half is the JSON, the
// second half the text to encode.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t split = all.find('\0');
  std::string_view json = all.substr(0, split);
  std::string_view text = split == std::string_view::npos ? std::string_view() : all.substr(split + 1);
  auto tokenizer = infilld::engine::Tokenizer::from_tokenizer_json(json);
  if (!tokenizer) return 0;
  auto ids = tokenizer->encode(text);
  (void)tokenizer->decode(ids);
  return 0;
}
