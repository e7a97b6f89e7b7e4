// UTF-8 and Unicode helpers for the tokenizer: validation, repair of ill-formed input,
// the White_Space and word-character predicates, and normalization (NFC and friends)
// through libutf8proc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace infilld::engine::unicode {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the well-formed UTF-8 sequence that starts at text[pos] into *cp and returns its
// length (1-4), or returns 0 when the bytes there are not a well-formed sequence.
size_t decode_utf8(std::string_view text, size_t pos, char32_t* cp);

// Appends the UTF-8 encoding of cp (which must be a Unicode scalar value).
void append_utf8(std::string& out, char32_t cp);

bool is_valid_utf8(std::string_view text);

// Replaces every ill-formed part of text by U+FFFD, one replacement per "maximal subpart"
// (the Unicode recommended practice, which Python's bytes.decode(errors="replace") follows).
std::string replace_invalid_utf8(std::string_view text);

// The Unicode White_Space property: what Rust's char::is_whitespace and Oniguruma's
// Unicode \s accept (U+0009-U+000D, U+0085 and the Zs, Zl, Zp categories).
bool is_white_space(char32_t cp);

// A regular-expression word character: a letter, mark, number or connector punctuation.
bool is_word_char(char32_t cp);

enum class NormalizationForm { kNFC, kNFD, kNFKC, kNFKD };

std::string_view form_name(NormalizationForm form);

// Normalizes well-formed UTF-8 text (text that no form can change is returned as it is,
// without calling utf8proc). Embedded NUL characters are kept.
Expected<std::string> normalize(std::string_view text, NormalizationForm form);

}  // namespace infilld::engine::unicode
