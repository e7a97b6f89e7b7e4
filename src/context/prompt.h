// The prefix and suffix the model sees, under a token budget counted with the model's
// tokenizer: windows around the cursor cut at line boundaries, and, when the prefix window
// cannot hold the whole file, the file's imports and the headers of the definitions that
// enclose the cursor kept in front of it; snippets of other files before all that.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::context {

using TokenCounter = std::function<int64_t(std::string_view)>;

struct PromptOptions {
  int64_t budget = 2048;       // tokens for prefix + suffix together
  double prefix_share = 0.75;  // of the budget, when both sides want more than their share
  double snippet_share = 0.25; // of the budget, on top, for other files' snippets and definitions
};

struct Prompt {
  std::string prefix;  // kept lines (imports, enclosing headers) + the window before the cursor
  std::string suffix;  // the window after the cursor
  int64_t prefix_tokens = 0;
  int64_t suffix_tokens = 0;
  int64_t prefix_first_line = 0;  // 0-based line where the prefix window starts
  int64_t suffix_last_line = 0;   // 0-based line where the suffix window ends
  bool prefix_cut = false;
  bool suffix_cut = false;
  std::vector<std::string> kept;  // the kept lines, in document order
  std::vector<Snippet> snippets;  // from other files, put first (add_snippets)
  int64_t snippet_tokens = 0;
};

// `tree` may be null (plain text): then nothing is kept beyond the windows.
Prompt build_prompt(std::string_view text, size_t cursor, const SyntaxTree* tree, const TokenCounter& count,
                    const PromptOptions& options);

// Puts the snippets of other files most like the code before the cursor in front of the
// prompt's prefix, rendered as comments of `language`, within `budget` tokens (a part of
// the budget kept apart for them: the split is the caller's setting).
// Chunks holding any of `already` (texts the prompt has, e.g. definitions) are skipped.
void add_snippets(Prompt& prompt, const SnippetRing& ring, std::string_view path, const Language& language,
                  const TokenCounter& count, int64_t budget, size_t max_snippets = 4,
                  std::span<const std::string> already = {});

}  // namespace infilld::context
