#include "cli/other_files.h"

#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "context/definitions.h"
#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::cli {

Status read_other_files(std::string_view with_list, context::SnippetRing& ring, context::DefinitionIndex& definitions) {
  size_t start = 0;
  while (start < with_list.size()) {
    const size_t comma = std::min(with_list.find(',', start), with_list.size());
    const std::string path(with_list.substr(start, comma - start));
    start = comma + 1;
    if (path.empty()) continue;
    auto text = read_text_file(path);
    if (!text) return error("--with: ", text.message());
    ring.add_document(path, *text);
    const context::Language& lang = context::language_for("", path);
    if (lang.grammar != nullptr)
      if (auto tree = context::SyntaxTree::parse(lang, *text))
        definitions.set_document(path, context::collect_definitions(*tree, *text, path));
  }
  return Status::ok();
}

}  // namespace infilld::cli
