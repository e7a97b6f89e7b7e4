// The open documents of one client: each one's text (Document), language and syntax tree,
// kept in step by didOpen / didChange / didClose; and what the prompt takes from the other
// open files (a snippet ring and a definition index), refreshed lazily: a changed document
// is re-read into them when another document next asks for context.
//
// Loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "context/definitions.h"
#include "context/document.h"
#include "context/languages.h"
#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::lsp {

// Three sizes of document (docs/lsp.md, "Documents"; docs/decisions.md says why):
//   - up to kWholeTreeBytes: a syntax tree of the whole file, kept in step incrementally, and
//     a source of other files' snippets and definitions;
//   - larger, up to maxDocumentBytes: completed from the text around the cursor, with no
//     syntax tree (a tree costs about 40 bytes of memory per byte of code, and a first parse
//     takes about 0.5 s per MB here);
//   - larger still (too_large): tracked (the text follows the edits), not completed.
struct OpenDocument {
  static constexpr size_t kWholeTreeBytes = size_t{2} << 20;  // 2 MiB

  context::Document document;
  const context::Language* language = nullptr;
  std::optional<context::SyntaxTree> tree;  // none for plain text, large files (or a failed parse)
  bool parse_pending = false;  // edited since the last parse: Workspace::tree() reparses
  bool too_large = false;      // over maxDocumentBytes: tracked, not parsed or completed

  bool whole_tree() const { return document.text().size() <= kWholeTreeBytes && !too_large; }
};

class Workspace {
 public:
  // Documents larger than this are tracked (their text follows the edits) but not parsed,
  // indexed or completed (OpenDocument::too_large), from their next open or change on.
  void set_max_document_bytes(size_t bytes) { max_document_bytes_ = bytes; }

  // Opening a document already open replaces it (clients re-open after a rename).
  void open(std::string uri, std::string language_id, int64_t version, std::string text);
  // Applies a didChange; on error the document is unchanged.
  Status change(std::string_view uri, int64_t version, std::span<const context::TextEdit> edits,
                context::PositionEncoding encoding);
  void close(std::string_view uri);

  OpenDocument* find(std::string_view uri);
  // The document's syntax tree for its current text, or null (plain text, a failed parse, or
  // a reparse that ran out of time: the caller goes on without a tree). A didChange only
  // edits the tree (cheap: the cost follows the edit, not the file); the parse happens
  // here, when a request needs the tree, once for all the edits since the last one.
  const context::SyntaxTree* tree(OpenDocument& doc);
  size_t size() const { return documents_.size(); }

  // The other files' context as of now, for a completion in `current_uri`.
  const context::SnippetRing& ring(std::string_view current_uri);
  const context::DefinitionIndex& definitions(std::string_view current_uri);

 private:
  void refresh(std::string_view current_uri);

  std::map<std::string, std::unique_ptr<OpenDocument>, std::less<>> documents_;
  std::set<std::string, std::less<>> dirty_;  // changed since the ring and index last read them
  size_t max_document_bytes_ = size_t{64} << 20;  // the maxDocumentBytes setting's default
  context::SnippetRing ring_;
  context::DefinitionIndex definitions_;
};

}  // namespace infilld::lsp
