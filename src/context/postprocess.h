// Turning the model's raw middle into a suggestion a programmer accepts: cut to the shape
// (one line, or the syntactic unit by indentation), drop what duplicates the text after the
// cursor, do not repeat closing brackets the suffix already has, keep the file's
// indentation style, and drop empty or repetitive suggestions.
#pragma once

#include <string>
#include <string_view>

#include "context/shape.h"

namespace infilld::context {

struct PostprocessInput {
  std::string_view middle;  // what the model wrote
  std::string_view prefix;  // the document before the cursor
  std::string_view suffix;  // the document after the cursor
  ShapeKind shape = ShapeKind::SingleLine;
};

// The suggestion, or "" when nothing worth showing remains.
std::string postprocess(const PostprocessInput& in);

}  // namespace infilld::context
