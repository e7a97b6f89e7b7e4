#include "cli/location.h"

#include <cstdlib>

#include "common/mapped_file.h"

namespace infilld::cli {

namespace {

// The byte offset of 1-based (line, column); the column counts UTF-8 code points.
Expected<size_t> cursor_offset(const std::string& text, long line, long column, const std::string& where) {
  if (line < 1 || column < 1) return error(where, ": line and column are 1-based");
  size_t offset = 0;
  for (long l = 1; l < line; ++l) {
    const size_t nl = text.find('\n', offset);
    if (nl == std::string::npos) return error(where, ": the file has fewer than ", line, " lines");
    offset = nl + 1;
  }
  for (long c = 1; c < column; ++c) {
    if (offset >= text.size() || text[offset] == '\n')
      return error(where, ": line ", line, " is shorter than column ", column);
    ++offset;
    while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
  }
  return offset;
}

}  // namespace

Expected<FileCursor> read_file_cursor(std::string_view spec_view) {
  const std::string spec(spec_view);
  const size_t c2 = spec.rfind(':');
  const size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : spec.rfind(':', c2 - 1);
  if (c1 == std::string::npos) return error("expected FILE:LINE:COL, found \"", spec, "\"");
  FileCursor fc;
  fc.path = spec.substr(0, c1);
  char* end = nullptr;
  const long line = std::strtol(spec.c_str() + c1 + 1, &end, 10);
  if (end != spec.c_str() + c2) return error("expected FILE:LINE:COL, found \"", spec, "\"");
  const long column = std::strtol(spec.c_str() + c2 + 1, &end, 10);
  if (*end != '\0') return error("expected FILE:LINE:COL, found \"", spec, "\"");
  auto text = read_text_file(fc.path);
  if (!text) return text.error();
  fc.text = std::move(*text);
  auto offset = cursor_offset(fc.text, line, column, fc.path);
  if (!offset) return offset.error();
  fc.cursor = *offset;
  return fc;
}

}  // namespace infilld::cli
