#include "engine/tokenizer/pretokenizer.h"

#include "engine/tokenizer/unicode.h"

namespace infilld::engine {

namespace {

// Oniguruma's Unicode \s, written as class items (no brackets).
constexpr std::string_view kSpaceItems =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// Index of the first byte after the UTF-8 character that starts at pos.
size_t next_char(std::string_view text, size_t pos) {
  ++pos;
  while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
  return pos;
}

}  // namespace

std::string with_oniguruma_whitespace(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 64);
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char d = p[i + 1];
      if (d == 'Q') {  // quoted text runs to \E (or to the end)
        const size_t end = p.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop;
        continue;
      }
      if (d == 's') {
        if (in_class) {
          out.append(kSpaceItems);
        } else {
          out.append("[").append(kSpaceItems).append("]");
        }
        i += 2;
        continue;
      }
      if (d == 'S' && !in_class) {
        out.append("[^").append(kSpaceItems).append("]");
        i += 2;
        continue;
      }
      out.append(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // [:alpha:] inside a class
        const size_t end = p.find(":]", i + 2);
        if (end != std::string_view::npos) {
          out.append(p.substr(i, end + 2 - i));
          i = end + 2;
          continue;
        }
      }
      if (c == ']') in_class = false;
      out += c;
      ++i;
      continue;
    }
    out += c;
    ++i;
    if (c == '[') {
      in_class = true;
      if (i < p.size() && p[i] == '^') out += p[i++];
      if (i < p.size() && p[i] == ']') out += p[i++];  // a leading ] is a literal
    }
  }
  return out;
}

Expected<Regex> Regex::compile(std::string_view pattern, bool literal, std::string_view where) {
  const std::string source = literal ? std::string(pattern) : with_oniguruma_whitespace(pattern);
  uint32_t options = PCRE2_UTF | PCRE2_UCP;
  if (literal) options |= PCRE2_LITERAL;
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                   options, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(error_code, buffer, sizeof(buffer));
    return error(where, ": cannot compile the regular expression (", reinterpret_cast<char*>(buffer),
                 " at offset ", static_cast<size_t>(error_offset),
                 "); only Oniguruma syntax that PCRE2 also accepts is supported");
  }
  Regex regex;
  regex.code_.reset(code);
  // JIT is an optimisation only: when it is unavailable pcre2_match interprets the pattern.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return regex;
}

void Regex::split_isolated(std::string_view text, std::vector<std::string_view>& pieces) const {
  if (text.empty()) return;
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> match(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  if (!match) {
    pieces.push_back(text);
    return;
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t gap_start = 0;
  size_t search = 0;
  while (search < text.size()) {
    // The text was validated (or repaired) before pre-tokenization, so skip PCRE2's check,
    // which would otherwise rescan the subject on every call.
    const int rc = pcre2_match(code_.get(), subject, text.size(), search, PCRE2_NO_UTF_CHECK,
                               match.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) break;  // a resource limit: the rest becomes one piece (see header)
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    const size_t start = ovector[0];
    const size_t end = ovector[1];
    if (end <= start || start < search || end > text.size()) {  // empty (or odd) match
      search = next_char(text, search);
      continue;
    }
    if (start > gap_start) pieces.push_back(text.substr(gap_start, start - gap_start));
    pieces.push_back(text.substr(start, end - start));
    gap_start = end;
    search = end;
  }
  if (gap_start < text.size()) pieces.push_back(text.substr(gap_start));
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces,
                         std::deque<std::string>& storage) const {
  pieces.clear();
  if (text.empty()) return;
  pieces.push_back(text);
  std::vector<std::string_view> next;
  for (const PreTokenizerStep& step : steps_) {
    next.clear();
    for (std::string_view piece : pieces) {
      if (step.add_prefix_space && (piece.empty() || piece.front() != ' ')) {
        storage.push_back(" " + std::string(piece));
        piece = storage.back();
      }
      if (step.regex) {
        step.regex->split_isolated(piece, next);
      } else {
        next.push_back(piece);
      }
    }
    pieces.swap(next);
  }
}

}  // namespace infilld::engine
