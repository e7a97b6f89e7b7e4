#include "lsp/workspace.h"

namespace infilld::lsp {

namespace {

// The longest a request's reparse may take. An incremental reparse of a 1 MB file takes
// 5-35 ms (bench/document_edits.cpp); tree-sitter's error recovery after an unclosed bracket
// can take seconds, and then the request goes on without the tree.
constexpr std::chrono::milliseconds kReparseLimit{50};
// The longest a first parse may take (a 2 MiB file: about 1 s here). Past it the document
// goes without a tree, as plain text; garbage can make tree-sitter's error recovery run
// for minutes and take gigabytes (fuzz_postprocess found such a text).
constexpr std::chrono::seconds kFirstParseLimit{3};

}  // namespace

void Workspace::open(std::string uri, std::string language_id, int64_t version, std::string text) {
  const context::Language& language = context::language_for(language_id, uri);
  auto doc = std::make_unique<OpenDocument>(
      OpenDocument{context::Document(uri, std::move(language_id), version, std::move(text)), &language, std::nullopt});
  doc->too_large = doc->document.text().size() > max_document_bytes_;
  if (language.grammar != nullptr && doc->whole_tree())
    if (auto tree = context::SyntaxTree::parse(language, doc->document.text(), kFirstParseLimit))
      doc->tree = std::move(*tree);
  dirty_.insert(uri);
  documents_[std::move(uri)] = std::move(doc);
}

Status Workspace::change(std::string_view uri, int64_t version, std::span<const context::TextEdit> edits,
                         context::PositionEncoding encoding) {
  OpenDocument* doc = find(uri);
  if (doc == nullptr) return error("didChange for ", uri, ", which is not open (send textDocument/didOpen first)");
  auto applied = doc->document.apply(edits, version, encoding);
  if (!applied) return error("didChange for ", uri, ": ", applied.message());
  doc->too_large = doc->document.text().size() > max_document_bytes_;
  if (!doc->whole_tree()) doc->tree.reset();
  if (doc->tree)
    for (const context::ByteEdit& e : *applied) doc->tree->edit(e);
  doc->parse_pending = doc->language->grammar != nullptr && doc->whole_tree();
  dirty_.insert(std::string(uri));
  return Status::ok();
}

const context::SyntaxTree* Workspace::tree(OpenDocument& doc) {
  if (doc.parse_pending) {
    doc.parse_pending = false;
    if (doc.tree) {
      if (Status s = doc.tree->reparse(doc.document.text(), kReparseLimit); !s) doc.tree.reset();
    } else if (auto tree = context::SyntaxTree::parse(*doc.language, doc.document.text(), kFirstParseLimit)) {
      doc.tree = std::move(*tree);
    }
    if (doc.tree && doc.tree->stale()) doc.parse_pending = true;  // try again at the next request
  }
  return doc.tree && !doc.tree->stale() && doc.whole_tree() ? &*doc.tree : nullptr;
}

void Workspace::close(std::string_view uri) {
  if (auto it = documents_.find(uri); it != documents_.end()) documents_.erase(it);
  // What it held stays useful as recent context: the ring ages it out.
  dirty_.erase(std::string(uri));
}

OpenDocument* Workspace::find(std::string_view uri) {
  auto it = documents_.find(uri);
  return it == documents_.end() ? nullptr : it->second.get();
}

void Workspace::refresh(std::string_view current_uri) {
  for (auto it = dirty_.begin(); it != dirty_.end();) {
    if (*it == current_uri) {  // the current document's own text is in the prompt already
      ++it;
      continue;
    }
    if (OpenDocument* doc = find(*it); doc != nullptr && doc->whole_tree()) {
      ring_.add_document(*it, doc->document.text());
      if (const context::SyntaxTree* tree = this->tree(*doc))
        definitions_.set_document(*it, context::collect_definitions(*tree, doc->document.text(), *it));
    }
    it = dirty_.erase(it);
  }
}

const context::SnippetRing& Workspace::ring(std::string_view current_uri) {
  refresh(current_uri);
  return ring_;
}

const context::DefinitionIndex& Workspace::definitions(std::string_view current_uri) {
  refresh(current_uri);
  return definitions_;
}

}  // namespace infilld::lsp
