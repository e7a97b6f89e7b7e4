// Definitions of the identifiers used near the cursor, found in the syntax trees of the
// open documents: each definition's name (its "name" field, or the declarator chain in C and
// C++) and its signature (the text up to its body), so that a call the user is typing comes
// with the callee's parameters. Given to the prompt as snippets (rendered as comments).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::context {

struct Definition {
  std::string name;
  std::string path;
  std::string signature;  // the definition's text up to its body, at most a few lines
};

// Every function, method, class, struct, trait, interface... defined in `tree`.
std::vector<Definition> collect_definitions(const SyntaxTree& tree, std::string_view text, std::string_view path);

class DefinitionIndex {
 public:
  // Replaces what was known of `path`.
  void set_document(std::string_view path, std::vector<Definition> definitions);
  void remove_document(std::string_view path);
  // Definitions of the identifiers of `near` (the code around the cursor) from documents
  // other than `current_path`, as snippets; at most `max`.
  std::vector<Snippet> lookup(std::string_view near, std::string_view current_path, size_t max) const;

 private:
  std::map<std::string, std::vector<Definition>, std::less<>> by_path_;
};

}  // namespace infilld::context
