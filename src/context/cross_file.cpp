#include "context/cross_file.h"

#include <string>
#include <vector>

namespace infilld::context {

void add_cross_file_context(Prompt& prompt, const SnippetRing& ring, const DefinitionIndex& definitions,
                            std::string_view current_path, const Language& language, const TokenCounter& count,
                            int64_t budget) {
  // What is being called is near the cursor: the last 400 bytes before it.
  const std::string_view before = prompt.prefix;
  const std::string_view near = before.substr(before.size() > 400 ? before.size() - 400 : 0);
  std::string rendered;
  std::vector<std::string> signatures;
  int64_t used = 0;
  for (const Snippet& s : definitions.lookup(near, current_path, 4)) {
    const std::string one = render_snippets(std::span<const Snippet>(&s, 1), language);
    const int64_t cost = count(one);
    if (one.empty() || used + cost > budget / 2) continue;
    used += cost;
    rendered += one;
    signatures.push_back(s.text);
    prompt.snippets.push_back(s);
  }
  add_snippets(prompt, ring, current_path, language, count, budget - used, 4, signatures);
  prompt.prefix = rendered + prompt.prefix;
  prompt.snippet_tokens += used;
  prompt.prefix_tokens += used;
}

}  // namespace infilld::context
