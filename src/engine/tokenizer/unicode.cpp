#include "engine/tokenizer/unicode.h"

#include <cstdlib>
#include <memory>

#include <utf8proc.h>

namespace infilld::engine::unicode {

namespace {

// For a lead byte, the number of bytes of its sequence and the range allowed for the
// second byte (Unicode table 3-7); length 0 marks a byte that cannot start a sequence.
struct LeadInfo {
  int length;
  unsigned char second_lo;
  unsigned char second_hi;
};

LeadInfo lead_info(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Length of the longest prefix of the sequence at pos that is a valid start of a
// well-formed sequence (at least 1). Sets *complete when it is a whole sequence.
size_t maximal_subpart(std::string_view text, size_t pos, bool* complete) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  const LeadInfo info = lead_info(b0);
  *complete = info.length == 1;
  if (info.length <= 1) return 1;
  size_t n = 1;
  for (int k = 1; k < info.length; ++k) {
    if (pos + n >= text.size()) return n;
    const auto b = static_cast<unsigned char>(text[pos + n]);
    const unsigned char lo = k == 1 ? info.second_lo : 0x80;
    const unsigned char hi = k == 1 ? info.second_hi : 0xBF;
    if (b < lo || b > hi) return n;
    ++n;
  }
  *complete = true;
  return n;
}

struct MallocFree {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

size_t decode_utf8(std::string_view text, size_t pos, char32_t* cp) {
  if (pos >= text.size()) return 0;
  bool complete = false;
  const size_t n = maximal_subpart(text, pos, &complete);
  if (!complete) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  switch (n) {
    case 1: *cp = p[0]; break;
    case 2: *cp = (char32_t(p[0] & 0x1F) << 6) | (p[1] & 0x3F); break;
    case 3: *cp = (char32_t(p[0] & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F); break;
    default:
      *cp = (char32_t(p[0] & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) |
            (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
      break;
  }
  return n;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view text) {
  size_t pos = 0;
  const size_t size = text.size();
  while (pos < size) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool complete = false;
    pos += maximal_subpart(text, pos, &complete);
    if (!complete) return false;
  }
  return true;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t pos = 0;
  while (pos < text.size()) {
    bool complete = false;
    const size_t n = maximal_subpart(text, pos, &complete);
    if (complete) {
      out.append(text.substr(pos, n));
    } else {
      append_utf8(out, kReplacementCharacter);
    }
    pos += n;
  }
  return out;
}

bool is_white_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_word_char(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

std::string_view form_name(NormalizationForm form) {
  switch (form) {
    case NormalizationForm::kNFC: return "NFC";
    case NormalizationForm::kNFD: return "NFD";
    case NormalizationForm::kNFKC: return "NFKC";
    case NormalizationForm::kNFKD: return "NFKD";
  }
  return "?";
}

Expected<std::string> normalize(std::string_view text, NormalizationForm form) {
  // Fast paths. Every form leaves ASCII alone. NFC also leaves alone text whose code
  // points are all below U+0300 (no combining marks, no composition exclusions, nothing
  // that recomposes differently); in UTF-8 that is "no byte is 0xCC or above".
  const unsigned char limit = form == NormalizationForm::kNFC ? 0xCC : 0x80;
  bool unchanged = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= limit) {
      unchanged = false;
      break;
    }
  }
  if (unchanged) return std::string(text);
  // utf8proc_NFC and friends stop at the first NUL byte, so call utf8proc_map (which they
  // wrap) with an explicit length and the same options, minus UTF8PROC_NULLTERM.
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalizationForm::kNFC: options |= UTF8PROC_COMPOSE; break;
    case NormalizationForm::kNFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalizationForm::kNFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalizationForm::kNFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &out,
                   static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, MallocFree> owned(out);
  if (n < 0) {
    return error(form_name(form), " normalization failed: ", utf8proc_errmsg(n));
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace infilld::engine::unicode
