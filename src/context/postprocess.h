// Turning the model's raw middle into a suggestion a programmer accepts: cut to the shape
// (one line, or the syntactic unit by indentation), drop what duplicates the text after the
// cursor, balance brackets and quotes against the suffix, keep the file's indentation
// style, cut a degenerate loop (the same short piece over and over) after its first piece,
// drop empty or repetitive suggestions, and (with a grammar) cut a multi-line suggestion
// back to where the file still parses.
#pragma once

#include <string>
#include <string_view>

#include "context/languages.h"
#include "context/shape.h"

namespace infilld::context {

struct PostprocessInput {
  std::string_view middle;  // what the model wrote
  std::string_view prefix;  // the document before the cursor
  std::string_view suffix;  // the document after the cursor
  ShapeKind shape = ShapeKind::SingleLine;
  // With a grammar, a multi-line suggestion that breaks the file's syntax is cut back, a
  // line at a time, to the longest start that parses cleanly (when one does).
  const Language* language = nullptr;
};

// The suggestion, or "" when nothing worth showing remains.
std::string postprocess(const PostprocessInput& in);

// Whether the suggestion is settled, so that more of the middle cannot change it: true once
// the shape's cut (the first line's end; the end of the unit) falls on lines the middle has
// finished, or the middle has fallen into a loop, since what follows is dropped. The decode
// loop stops there (InfillRequest::settled).
bool settled(const PostprocessInput& in);

}  // namespace infilld::context
