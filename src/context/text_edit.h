// Edits in the two coordinate systems the context engine speaks: LSP positions (line and
// character in the negotiated encoding) coming from the editor, and byte offsets with
// (row, byte column) points going to tree-sitter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace infilld::context {

// LSP positionEncoding: what a Position's `character` counts.
enum class PositionEncoding { Utf8, Utf16, Utf32 };

// 0-based line and character, as in LSP.
struct Position {
  int64_t line = 0;
  int64_t character = 0;
  bool operator==(const Position&) const = default;
};

struct Range {
  Position start;
  Position end;
  bool operator==(const Range&) const = default;
};

// One change of textDocument/didChange: a range and its new text, or (no range) the
// whole new text.
struct TextEdit {
  std::optional<Range> range;
  std::string text;
};

// tree-sitter's point: 0-based row and byte column.
struct BytePoint {
  uint32_t row = 0;
  uint32_t column = 0;
  bool operator==(const BytePoint&) const = default;
};

// An applied edit in bytes, what ts_tree_edit takes (TSInputEdit's fields).
struct ByteEdit {
  uint32_t start_byte = 0;
  uint32_t old_end_byte = 0;
  uint32_t new_end_byte = 0;
  BytePoint start_point;
  BytePoint old_end_point;
  BytePoint new_end_point;
};

}  // namespace infilld::context
