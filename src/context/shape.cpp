#include "context/shape.h"

#include "context/text_util.h"

#include <algorithm>
#include <cstring>

namespace infilld::context {

namespace {

constexpr int32_t kSingleLineTokens = 32;
constexpr int32_t kMultiLineTokens = 96;

// The text from the cursor to the end of its line, and from the line's start to the cursor.
std::string_view rest_of_line(std::string_view text, size_t cursor) {
  const size_t end = text.find('\n', cursor);
  return text.substr(cursor, (end == std::string_view::npos ? text.size() : end) - cursor);
}
std::string_view line_before(std::string_view text, size_t cursor) {
  const size_t start = cursor == 0 ? 0 : text.rfind('\n', cursor - 1);
  const size_t from = start == std::string_view::npos ? 0 : (cursor == 0 ? 0 : start + 1);
  return text.substr(from, cursor - from);
}

// Closing brackets, quotes and separators: typing before them is normal (auto-closed pairs).
bool only_closers(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::strchr(")]}>\"'`;,: \t", c) != nullptr; });
}

// Whether the innermost node at the cursor (or one of its ancestors) is a string or a comment.
bool in_string_or_comment(const SyntaxTree& tree, std::string_view text, size_t cursor) {
  TSNode node = tree.node_at(static_cast<uint32_t>(cursor > 0 ? cursor - 1 : 0));
  for (int depth = 0; depth < 4 && !ts_node_is_null(node); ++depth) {
    const std::string_view type = ts_node_type(node);
    // A line comment runs to the end of its line: the cursor there is still in it (a block
    // comment ends with "*/", after which the cursor is outside).
    const uint32_t end = ts_node_end_byte(node);
    const bool line_comment = type.find("comment") != std::string_view::npos && cursor == end && end >= 2 &&
                              end <= text.size() && text.substr(end - 2, 2) != "*/";
    const bool inside = ts_node_start_byte(node) < cursor && (cursor < ts_node_end_byte(node) || line_comment);
    if (inside && (type.find("string") != std::string_view::npos || type.find("comment") != std::string_view::npos ||
                   type == "template_string" || type == "char_literal" || type == "raw_string_literal"))
      return true;
    node = ts_node_parent(node);
  }
  return false;
}

}  // namespace

std::string_view shape_name(ShapeKind k) {
  switch (k) {
    case ShapeKind::None: return "none";
    case ShapeKind::SingleLine: return "single-line";
    case ShapeKind::MultiLine: return "multi-line";
  }
  return "?";
}

Shape completion_shape(std::string_view text, size_t cursor, const SyntaxTree* tree, bool explicit_request) {
  cursor = std::min(cursor, text.size());
  const std::string_view after = trim(rest_of_line(text, cursor));
  const std::string_view before = line_before(text, cursor);
  if (!explicit_request && !after.empty() && !only_closers(after))
    return {ShapeKind::None, 0, "code to the right of the cursor"};
  if (tree != nullptr && in_string_or_comment(*tree, text, cursor)) {
    if (!explicit_request) return {ShapeKind::None, 0, "inside a string or comment"};
    return {ShapeKind::SingleLine, kSingleLineTokens, "inside a string or comment (asked for)"};
  }
  const std::string_view head = trim(before);
  if (head.empty()) return {ShapeKind::MultiLine, kMultiLineTokens, "empty line"};
  const char last = head.back();
  if ((last == '{' || last == ':' || last == '(' || last == '[') && after.empty())
    return {ShapeKind::MultiLine, kMultiLineTokens, std::string("after a block opener '") + last + "'"};
  return {ShapeKind::SingleLine, kSingleLineTokens, "mid-line"};
}

}  // namespace infilld::context
