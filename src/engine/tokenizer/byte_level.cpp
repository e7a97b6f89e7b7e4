#include "engine/tokenizer/byte_level.h"

#include <array>

#include "engine/tokenizer/unicode.h"

namespace infilld::engine::byte_level {

namespace {

constexpr char32_t kFirstShifted = 0x100;
constexpr char32_t kTableEnd = 0x144;  // 0x100 + the 68 bytes that are not printable

bool printable(unsigned b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; }

struct Tables {
  std::array<char32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8;
  std::array<int16_t, kTableEnd> to_byte{};

  Tables() {
    to_byte.fill(-1);
    char32_t next = kFirstShifted;
    for (unsigned b = 0; b < 256; ++b) {
      const char32_t c = printable(b) ? char32_t(b) : next++;
      to_char[b] = c;
      unicode::append_utf8(to_utf8[b], c);
      to_byte[c] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

char32_t byte_to_char(uint8_t b) { return tables().to_char[b]; }

const std::string& byte_to_utf8(uint8_t b) { return tables().to_utf8[b]; }

int char_to_byte(char32_t c) { return c < kTableEnd ? tables().to_byte[c] : -1; }

std::string encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.to_utf8[static_cast<uint8_t>(c)];
  return out;
}

bool decode(std::string_view token, std::string& out) {
  const size_t start = out.size();
  size_t pos = 0;
  while (pos < token.size()) {
    char32_t c = 0;
    const size_t n = unicode::decode_utf8(token, pos, &c);
    const int b = n == 0 ? -1 : char_to_byte(c);
    if (b < 0) {
      out.resize(start);
      return false;
    }
    out += static_cast<char>(b);
    pos += n;
  }
  return true;
}

}  // namespace infilld::engine::byte_level
