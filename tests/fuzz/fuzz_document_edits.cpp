// A random sequence of didChange edits, in a random position encoding each, applied to a
// Document and to a naive reference written here from the rules of line_index.h (decode the
// whole text, count line breaks from the start, walk the line character by character).
// After every change: the same outcome (both accept it or both refuse it, refused changes
// leave the document exactly as it was), the same text and version, byte edits that match
// the reference's offsets and tree-sitter points, a line index equal to one built afresh
// from the text, and position_of() agreeing with the reference on a random offset.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "context/document.h"

namespace {

using infilld::context::ByteEdit;
using infilld::context::BytePoint;
using infilld::context::Document;
using infilld::context::LineIndex;
using infilld::context::Position;
using infilld::context::PositionEncoding;
using infilld::context::Range;
using infilld::context::TextEdit;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// The length of the character at text[i]: a well-formed UTF-8 sequence (decoded, then
// checked for overlongs, surrogates and the U+10FFFF limit), else 1.
size_t char_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned c0 = byte(i);
  size_t n = 1;
  uint32_t cp = c0;
  if ((c0 & 0xE0) == 0xC0) n = 2, cp = c0 & 0x1F;
  else if ((c0 & 0xF0) == 0xE0) n = 3, cp = c0 & 0x0F;
  else if ((c0 & 0xF8) == 0xF0) n = 4, cp = c0 & 0x07;
  else return 1;
  if (i + n > text.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 1;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 1;
  return n;
}

int64_t units(size_t length, PositionEncoding e) {
  if (e == PositionEncoding::Utf8) return static_cast<int64_t>(length);
  if (e == PositionEncoding::Utf16) return length == 4 ? 2 : 1;
  return 1;
}

// Where the line break starting at text[i] ends, or i when there is none.
size_t break_end(const std::string& text, size_t i) {
  if (text[i] == '\n') return i + 1;
  if (text[i] == '\r') return i + 1 < text.size() && text[i + 1] == '\n' ? i + 2 : i + 1;
  return i;
}

// Start of LSP line `line`, or nothing past the last line.
std::optional<size_t> line_start(const std::string& text, int64_t line) {
  size_t i = 0;
  for (int64_t l = 0; l < line; ++l) {
    while (i < text.size() && break_end(text, i) == i) ++i;
    if (i == text.size()) return std::nullopt;
    i = break_end(text, i);
  }
  return i;
}

size_t content_end(const std::string& text, size_t start) {
  while (start < text.size() && text[start] != '\n' && text[start] != '\r') ++start;
  return start;
}

std::optional<size_t> offset_of(const std::string& text, Position p, PositionEncoding e) {
  if (p.line < 0 || p.character < 0) return std::nullopt;
  auto start = line_start(text, p.line);
  if (!start) return std::nullopt;
  const size_t end = content_end(text, *start);
  int64_t counted = 0;
  for (size_t k = *start; k < end;) {
    if (counted == p.character) return k;
    const size_t n = char_length(text, k);
    if (counted + units(n, e) > p.character) return std::nullopt;  // inside a character
    counted += units(n, e);
    k += n;
  }
  return end;  // at or past the line's end: clamped
}

Position position_of(const std::string& text, size_t offset, PositionEncoding e) {
  offset = std::min(offset, text.size());
  if (offset > 0 && offset < text.size() && text[offset - 1] == '\r' && text[offset] == '\n') --offset;
  Position p;
  size_t start = 0;
  for (size_t i = 0; i < offset;) {
    const size_t after = break_end(text, i);
    if (after == i) {
      ++i;
      continue;
    }
    if (after > offset) break;
    ++p.line;
    start = i = after;
  }
  for (size_t k = start; k < offset;) {
    const size_t n = char_length(text, k);
    if (k + n > offset) break;  // inside a character: its start
    p.character += units(n, e);
    k += n;
  }
  return p;
}

BytePoint point_of(const std::string& text, size_t offset) {
  BytePoint p;
  size_t row_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++p.row, row_start = i + 1;
  p.column = static_cast<uint32_t>(offset - row_start);
  return p;
}

PositionEncoding pick_encoding(FuzzedDataProvider& in) {
  const PositionEncoding all[3] = {PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32};
  return all[in.ConsumeIntegralInRange<int>(0, 2)];
}

Position pick_position(FuzzedDataProvider& in, int64_t lines) {
  return {in.ConsumeIntegralInRange<int64_t>(-1, lines), in.ConsumeIntegralInRange<int64_t>(-1, 24)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string text = in.ConsumeRandomLengthString(256);
  int64_t version = 1;
  Document doc("file:///fuzz.txt", "plaintext", version, text);
  for (int change = 0; change < 64 && in.remaining_bytes() > 0; ++change) {
    const PositionEncoding e = pick_encoding(in);
    const int64_t lines = doc.line_index().line_count();
    std::vector<TextEdit> edits(in.ConsumeIntegralInRange<size_t>(1, 3));
    for (TextEdit& edit : edits) {
      if (in.ConsumeIntegralInRange<int>(0, 15) != 0) {
        const Position start = pick_position(in, lines);
        Position end = start;
        if (in.ConsumeBool()) end = pick_position(in, lines);
        else end.character += in.ConsumeIntegralInRange<int64_t>(0, 4);
        edit.range = Range{start, end};
      }
      edit.text = in.ConsumeRandomLengthString(16);
    }
    const int64_t new_version = in.ConsumeIntegralInRange<int>(0, 7) == 0 ? version : version + 1;

    // The reference: each edit on the text the previous one left; all or nothing.
    std::string expected = text;
    std::vector<ByteEdit> expected_edits;
    bool ok = new_version > version;
    for (const TextEdit& edit : edits) {
      if (!ok) break;
      size_t from = 0, to = expected.size();
      if (edit.range) {
        auto s = offset_of(expected, edit.range->start, e);
        auto t = offset_of(expected, edit.range->end, e);
        const Position a = edit.range->start, b = edit.range->end;
        const bool backwards = b.line < a.line || (b.line == a.line && b.character < a.character);
        if (!s || !t || *t < *s || backwards) {
          ok = false;
          break;
        }
        from = *s, to = *t;
      }
      ByteEdit b;
      b.start_byte = static_cast<uint32_t>(from);
      b.old_end_byte = static_cast<uint32_t>(to);
      b.new_end_byte = static_cast<uint32_t>(from + edit.text.size());
      b.start_point = point_of(expected, from);
      b.old_end_point = point_of(expected, to);
      expected.replace(from, to - from, edit.text);
      b.new_end_point = point_of(expected, from + edit.text.size());
      expected_edits.push_back(b);
    }

    auto applied = doc.apply(edits, new_version, e);
    require(applied.is_ok() == ok);
    if (ok) {
      text = expected;
      version = new_version;
      require(applied->size() == expected_edits.size());
      for (size_t i = 0; i < expected_edits.size(); ++i) {
        const ByteEdit& got = (*applied)[i];
        const ByteEdit& want = expected_edits[i];
        require(got.start_byte == want.start_byte && got.old_end_byte == want.old_end_byte &&
                got.new_end_byte == want.new_end_byte);
        require(got.start_point == want.start_point && got.old_end_point == want.old_end_point &&
                got.new_end_point == want.new_end_point);
      }
    }
    require(doc.text() == text && doc.version() == version);
    require(doc.line_index() == LineIndex(text));  // the incremental tables == a fresh build

    // Positions and offsets, both ways, at a random offset.
    const size_t offset = in.ConsumeIntegralInRange<size_t>(0, text.size() + 2);
    const Position p = doc.line_index().position_of(offset, e);
    require(p == position_of(text, offset, e));
    auto back = doc.line_index().offset_of(p, e);
    require(back.is_ok() && offset_of(text, p, e) == std::optional<size_t>(*back));
  }
  return 0;
}
