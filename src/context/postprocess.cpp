#include "context/postprocess.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace infilld::context {

namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (;;) {
    const size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(start));
      return lines;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Indentation width, a tab counting as `tab_width` columns.
int indent_of(std::string_view line, int tab_width = 4) {
  int w = 0;
  for (char c : line) {
    if (c == ' ') ++w;
    else if (c == '\t') w += tab_width;
    else break;
  }
  return w;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The file's indentation: tabs when more indented lines start with a tab than with spaces.
bool file_uses_tabs(std::string_view prefix, std::string_view suffix) {
  int tabs = 0, spaces = 0;
  for (std::string_view part : {prefix, suffix})
    for (std::string_view line : split_lines(part)) {
      if (line.starts_with('\t')) ++tabs;
      else if (line.starts_with("  ")) ++spaces;
    }
  return tabs > spaces;
}

// The indentation the cursor's unit lives at: the cursor line's, or the previous non-blank
// line's when the cursor line is empty so far.
int base_indent(std::string_view prefix) {
  auto lines = split_lines(prefix);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!blank(*it) || it == lines.rbegin()) {
      if (blank(*it) && it == lines.rbegin()) {
        if (!it->empty()) return indent_of(*it);  // the user already indented the new line
        continue;
      }
      return indent_of(*it);
    }
  return 0;
}

}  // namespace

std::string postprocess(const PostprocessInput& in) {
  std::vector<std::string_view> lines = split_lines(in.middle);
  if (in.shape == ShapeKind::SingleLine) {
    lines.resize(1);
  } else if (lines.size() > 1) {
    // Stop at the end of the unit: the first later line indented less than the unit.
    const int base = base_indent(in.prefix);
    const std::string_view cursor_line = in.prefix.substr(in.prefix.rfind('\n') == std::string_view::npos
                                                              ? 0 : in.prefix.rfind('\n') + 1);
    const bool opened_block = !trim(cursor_line).empty() &&
                              std::strchr("{:([", trim(cursor_line).back()) != nullptr;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (blank(lines[i])) continue;
      const int ind = indent_of(lines[i]);
      // After a block opener the body is deeper than the opener's line; a line back at the
      // opener's level ends the unit unless it closes the block itself.
      const bool closes = !trim(lines[i]).empty() && std::strchr("}])", trim(lines[i]).front()) != nullptr;
      if (ind < base || (opened_block && ind == base && !closes)) {
        lines.resize(i);
        break;
      }
      if (opened_block && ind == base && closes) {
        lines.resize(i + 1);
        break;
      }
    }
  }
  // Drop trailing lines that repeat the next non-blank lines of the suffix.
  std::vector<std::string_view> next;
  for (std::string_view l : split_lines(in.suffix))
    if (!blank(l)) next.push_back(trim(l));
  while (lines.size() > 1 && !next.empty() && trim(lines.back()) == next.front()) lines.pop_back();
  while (!lines.empty() && blank(lines.back()) && lines.size() > 1) lines.pop_back();

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  // Closers the suffix already has on the cursor line (an auto-closed pair) are not typed
  // twice: a suggestion ending with them drops them.
  const std::string_view closers = trim(in.suffix.substr(0, in.suffix.find('\n')));
  if (!closers.empty() && out.ends_with(closers) &&
      std::all_of(closers.begin(), closers.end(), [](char c) { return std::strchr(")]}\"'`;,", c) != nullptr; }))
    out.resize(out.size() - closers.size());

  // The file's indentation style for the lines after the first.
  if (file_uses_tabs(in.prefix, in.suffix)) {
    std::string converted;
    for (size_t i = 0, line_start = 0; i <= out.size(); ++i) {
      if (i == out.size() || out[i] == '\n') {
        std::string_view line(out.data() + line_start, i - line_start);
        if (line_start > 0) {
          const int ind = indent_of(line);
          size_t skip = 0;
          while (skip < line.size() && (line[skip] == ' ' || line[skip] == '\t')) ++skip;
          converted += std::string(static_cast<size_t>(ind / 4), '\t') + std::string(static_cast<size_t>(ind % 4), ' ');
          converted += line.substr(skip);
        } else {
          converted += line;
        }
        if (i < out.size()) converted += '\n';
        line_start = i + 1;
      }
    }
    out = std::move(converted);
  }

  // Nothing worth showing: whitespace only, or the same line over and over.
  if (trim(out).empty()) return {};
  auto final_lines = split_lines(out);
  if (final_lines.size() >= 3) {
    size_t repeats = 0;
    for (size_t i = 1; i < final_lines.size(); ++i)
      if (!blank(final_lines[i]) && trim(final_lines[i]) == trim(final_lines[i - 1])) ++repeats;
    if (repeats * 2 >= final_lines.size()) return {};
  }
  return out;
}

}  // namespace infilld::context
