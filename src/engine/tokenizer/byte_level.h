// The byte-level alphabet of GPT-2 style BPE: every byte 0-255 is shown as one printable
// Unicode character, so that any byte string can be written with vocabulary tokens.
// Bytes that are printable in Latin-1 ('!'-'~', U+00A1-U+00AC, U+00AE-U+00FF) stand for
// themselves; the other 68 bytes, in increasing order, become U+0100, U+0101, ...
// (so the space 0x20 is 'Ġ' U+0120 and the newline 0x0A is 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace infilld::engine::byte_level {

// The character that stands for byte b.
char32_t byte_to_char(uint8_t b);

// The UTF-8 encoding of byte_to_char(b).
const std::string& byte_to_utf8(uint8_t b);

// The byte a character stands for, or -1 when it is not part of the alphabet.
int char_to_byte(char32_t c);

// Maps every byte of bytes to its character (UTF-8 encoded).
std::string encode(std::string_view bytes);

// Maps a token written in the byte-level alphabet back to bytes, appending them to out.
// Returns false (and appends nothing) when some character of token is not in the alphabet.
bool decode(std::string_view token, std::string& out);

}  // namespace infilld::engine::byte_level
