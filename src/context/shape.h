// What kind of completion the cursor asks for, from the text and the syntax around it:
// none (code to the right the completion would collide with, or a string or comment when
// the request is not explicit), a single line (mid-expression), or several lines (an empty
// line in a body, or after a block opener). It also suggests the engine's canvas length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "context/syntax_tree.h"

namespace infilld::context {

enum class ShapeKind { None, SingleLine, MultiLine };

struct Shape {
  ShapeKind kind = ShapeKind::SingleLine;
  int32_t max_tokens = 0;  // the canvas length to ask the engine for (0 with None)
  std::string reason;      // why, for `infilld context` and logs
};

std::string_view shape_name(ShapeKind k);

// `tree` may be null (plain text, or no parse): the text rules apply alone.
// `explicit_request`: the user asked (a key press), so strings, comments and text to the
// right do not silence the completion.
Shape completion_shape(std::string_view text, size_t cursor, const SyntaxTree* tree, bool explicit_request);

}  // namespace infilld::context
