// Document: one open text document (textDocument/didOpen, didChange) and its line index.
//
// apply() follows LSP's didChange semantics: the edits apply in order, each range in the
// text as the previous edit left it; an edit without range replaces the whole text. It is
// atomic: on any error the document (text, line index, version) is exactly as before.
// Errors: a version not newer than the current one; an edit whose range start or end is not
// a valid position (LineIndex::offset_of: negative, line past the end, inside a character),
// whose end is before its start, or that would make the text 4 GiB or more (tree-sitter
// offsets are 32-bit). A character past its line's end is not an error: it clamps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "context/line_index.h"
#include "context/text_edit.h"

namespace infilld::context {

class Document {
 public:
  Document(std::string uri, std::string language_id, int64_t version, std::string text);

  // Applies `edits` (positions counted in `encoding`) and sets the version to `new_version`,
  // which must be greater than version(). Returns one ByteEdit per edit, in order, each in
  // the coordinates of the text as the previous edit left it: feed them to ts_tree_edit in
  // the same order. An empty `edits` only bumps the version.
  Expected<std::vector<ByteEdit>> apply(std::span<const TextEdit> edits, int64_t new_version,
                                        PositionEncoding encoding);

  const std::string& uri() const { return uri_; }
  const std::string& language_id() const { return language_id_; }
  int64_t version() const { return version_; }
  const std::string& text() const { return index_.text(); }
  const LineIndex& line_index() const { return index_; }

 private:
  std::string uri_;
  std::string language_id_;
  int64_t version_ = 0;
  LineIndex index_;  // owns the text
};

}  // namespace infilld::context
