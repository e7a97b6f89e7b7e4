#include "cli/other_files.h"

#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "context/definitions.h"
#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::cli {

Status add_other_files(context::Prompt& prompt, std::string_view with_list, std::string_view current_path,
                       const context::Language& language, const context::TokenCounter& count, int64_t budget) {
  context::SnippetRing ring;
  context::DefinitionIndex definitions;
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
  // Definitions of what is being called first (up to half the budget), then similar code.
  const std::string_view before = prompt.prefix;
  const std::string_view near = before.substr(before.size() > 400 ? before.size() - 400 : 0);
  std::string rendered;
  std::vector<std::string> signatures;
  int64_t used = 0;
  for (const context::Snippet& s : definitions.lookup(near, current_path, 4)) {
    const std::string one = context::render_snippets(std::span<const context::Snippet>(&s, 1), language);
    const int64_t cost = count(one);
    if (one.empty() || used + cost > budget / 2) continue;
    used += cost;
    rendered += one;
    signatures.push_back(s.text);
    prompt.snippets.push_back(s);
  }
  context::add_snippets(prompt, ring, current_path, language, count, budget - used, 4, signatures);
  prompt.prefix = rendered + prompt.prefix;
  prompt.snippet_tokens += used;
  prompt.prefix_tokens += used;
  return Status::ok();
}

}  // namespace infilld::cli
