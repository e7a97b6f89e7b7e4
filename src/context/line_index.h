// LineIndex: a text and its line table, converting between byte offsets, LSP positions
// (line + character in the negotiated encoding) and tree-sitter points (row + byte column).
//
// Rules (LSP 3.17 "Text Documents" / "Position"), and where the spec is silent, ours:
//  * LSP lines end at "\n", "\r\n" or a lone "\r"; one text may mix them. A text of n line
//    breaks has n + 1 lines (the empty text has 1 line; "a\n" has 2, the last one empty).
//  * tree-sitter counts rows by '\n' only (its lexer), so point_of() does too: a lone "\r"
//    does not start a tree-sitter row, and columns are bytes since the last '\n'.
//  * `character` counts UTF-8 bytes, UTF-16 code units or code points (PositionEncoding).
//    A line's length excludes its line break.
//  * Invalid UTF-8 never fails: every byte that is not part of a well-formed sequence
//    (Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF, no truncated
//    sequences) counts as one character: one code point and one UTF-16 unit.
//  * offset_of(): a character past the end of its line clamps to the line's end, before its
//    line break (the spec: "defaults back to the line length"); a negative line or character,
//    a line past the last one, and a character inside a multi-unit character (inside a UTF-16
//    surrogate pair, inside a UTF-8 sequence) are errors.
//  * position_of() never fails: an offset past the end clamps to the end of the text, one
//    between "\r" and "\n" to the end of that line, one inside a character to its start.
//
// Costs: building is O(n); offset_of() and position_of() are O(log lines + line length);
// point_of() is O(log lines); replace() is O(inserted bytes + lines after the edit) plus the
// std::string replace itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "context/text_edit.h"

namespace infilld::context {

class LineIndex {
 public:
  explicit LineIndex(std::string text = {});

  // The text the index describes (the index owns it so that edits keep both in step).
  const std::string& text() const { return text_; }
  int64_t line_count() const { return static_cast<int64_t>(line_starts_.size()); }

  // Byte offset of the first byte of `line`, and of the end of its content (before its line
  // break); both for 0 <= line < line_count(), clamped otherwise.
  size_t line_start(int64_t line) const;
  size_t line_end(int64_t line) const;

  // Byte offset of an LSP position; see the rules above for clamping and errors.
  Expected<size_t> offset_of(Position position, PositionEncoding encoding) const;
  // LSP position of a byte offset; see the rules above for clamping.
  Position position_of(size_t byte_offset, PositionEncoding encoding) const;
  // tree-sitter point (row by '\n' only, byte column) of a byte offset, clamped to the text;
  // fields saturate at UINT32_MAX.
  BytePoint point_of(size_t byte_offset) const;

  // Replaces text bytes [start, old_end) with `replacement` and updates the line tables
  // incrementally. Requires start <= old_end <= text().size() (clamped if not).
  void replace(size_t start, size_t old_end, std::string_view replacement);

  // Same text and same tables (tables are a function of the text, so this checks that
  // incremental updates agree with a fresh build).
  bool operator==(const LineIndex&) const = default;

 private:
  size_t line_of(size_t offset) const;                 // LSP line holding `offset`
  size_t sequence_start(size_t offset) const;          // start of the character holding it
  int64_t count_units(size_t from, size_t to, PositionEncoding encoding) const;

  std::string text_;
  std::vector<size_t> line_starts_;     // LSP lines: after \n, \r\n or a lone \r; [0] == 0
  std::vector<size_t> newline_starts_;  // tree-sitter rows: after '\n' only; [0] == 0
};

}  // namespace infilld::context
