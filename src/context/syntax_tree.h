// A document's tree-sitter syntax tree, kept in step with the text by incremental reparsing:
// the edits of a didChange are applied to the old tree (ts_tree_edit), then one parse of the
// new text reuses every subtree the edits did not touch.
#pragma once

#include <chrono>
#include <optional>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "common/status.h"
#include "context/languages.h"
#include "context/text_edit.h"

namespace infilld::context {

struct ParserDeleter {
  void operator()(TSParser* parser) const noexcept { ts_parser_delete(parser); }
};
struct TreeDeleter {
  void operator()(TSTree* tree) const noexcept { ts_tree_delete(tree); }
};
using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;

// Owns a parser and the current tree of one document. Not thread-safe. TSNode values borrow
// from the current tree: they are invalid after the next reparse or when the SyntaxTree goes.
class SyntaxTree {
 public:
  // Parses UTF-8 `text`. Fails for a language without a grammar (plain text), a grammar whose
  // ABI the tree-sitter core does not support, or text of 4 GiB or more.
  // `limit` (0: none) bounds the parse's time, and with it its memory: tree-sitter's error
  // recovery can take seconds and gigabytes on a few hundred bytes of garbage (found by
  // fuzz_postprocess). Past it the parse fails.
  static Expected<SyntaxTree> parse(const Language& language, std::string_view text,
                                    std::chrono::microseconds limit = std::chrono::microseconds(0));

  // One edit then a reparse: edit(edit) + reparse(new_text).
  Status edit_and_reparse(const ByteEdit& edit, std::string_view new_text);

  // Applies one edit to the tree (no parsing). Several edits are applied in order, each in
  // the coordinates of the text the previous ones produced, before one reparse().
  void edit(const ByteEdit& edit);

  // Parses `new_text` (the text after all edits since the last parse), reusing the edited
  // tree. When an edit was inconsistent (backwards ranges, past the end of the text) or the
  // edits do not add up to new_text's length, the old tree cannot be trusted and the text is
  // parsed from scratch: the result matches new_text either way. When the old tree had syntax
  // errors and the new one has none, the text is parsed again from scratch (one extra full
  // parse per repair), so that error-free text always gets the tree a fresh parse gives; but
  // only up to 64 KB of text: in a larger file the repaired incremental tree is kept, since a
  // full parse there costs more than a keystroke may. On
  // failure the tree is left as it was (edited, not reparsed); the next reparse starts afresh.
  //
  // `limit` (0: none) bounds the parse's time: a parse that runs past it (tree-sitter's error
  // recovery can take seconds on a large file with an unclosed bracket) gives up, the tree
  // stays the edited old one and stale() is true; the next reparse tries again from it.
  Status reparse(std::string_view new_text, std::chrono::microseconds limit = std::chrono::microseconds(0));
  // Whether the last reparse ran out of time: the tree's positions follow the edits, but its
  // nodes are those of an older text.
  bool stale() const { return stale_; }

  TSNode root() const;
  std::string sexp() const;  // the root's S-expression (ts_node_string)
  bool has_error() const;    // whether the tree has ERROR or MISSING nodes
  const Language& language() const { return language_; }
  const TSTree* tree() const { return tree_.get(); }
  // Whether the last parse reused the previous tree (false for the first parse and for the
  // from-scratch parses described at reparse()).
  bool last_parse_incremental() const { return last_parse_incremental_; }

  // The smallest named node that contains the byte at `byte_offset` (the root when none does,
  // e.g. at the end of the text).
  TSNode node_at(uint32_t byte_offset) const;

 private:
  SyntaxTree(const Language& language, ParserPtr parser) noexcept;
  // Null when the parse ran past `deadline` (when set) or failed.
  TreePtr parse_text(std::string_view text, const TSTree* old_tree,
                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

  Language language_;  // a copy: callers may pass a temporary
  ParserPtr parser_;
  TreePtr tree_;
  uint32_t text_size_ = 0;  // bytes of the text after the edits applied so far
  bool edits_consistent_ = true;
  bool last_parse_incremental_ = false;
  bool stale_ = false;
};

// The ancestors of `node`, innermost (its parent) first, the root last; `node` itself is not
// included. Empty for the root or a null node.
std::vector<TSNode> ancestors(TSNode node);

}  // namespace infilld::context
