// Small helpers on lines of code shared by the shape and post-processing rules.
#pragma once

#include <string_view>

namespace infilld::context {

// Spaces, tabs and the '\r' of a CRLF line end: what surrounds code on a line.
inline bool is_line_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// `s` without leading and trailing line spaces.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_line_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_line_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace infilld::context
