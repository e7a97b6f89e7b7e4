// infilld context FILE:LINE:COL: the prompt that would be sent, for debugging: the language,
// the completion shape at the cursor, and the prefix and suffix windows with their token
// counts (counted with the model's tokenizer; without a model, bytes / 4 as an estimate).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/location.h"
#include "cli/other_files.h"
#include "context/prompt.h"
#include "context/shape.h"
#include "context/syntax_tree.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::cli {

int cmd_context(Args args) {
  auto flags = Flags::parse(args, {.with_value = {"model", "language", "budget", "with"}, .boolean = {"explicit"}});
  if (!flags) return fail(flags.message());
  if (flags->positional().size() != 1) return fail("usage: infilld context FILE:LINE:COL [--model DIR] [--budget N] [--with FILE,...]");
  auto fc = read_file_cursor(flags->positional()[0]);
  if (!fc) return fail(fc.message());

  // Only the model's tokenizer is needed, to count tokens.
  std::optional<engine::Tokenizer> tokenizer;
  std::string counter_name = "bytes / 4 (no --model: an estimate)";
  const char* env = std::getenv("INFILLD_MODEL");
  if (auto dir = flags->get("model"); dir || (env != nullptr && *env != '\0')) {
    auto loaded = engine::Tokenizer::load(dir ? *dir : std::string(env));
    if (!loaded) return fail(loaded.message());
    tokenizer.emplace(std::move(*loaded));
    counter_name = "the model's tokenizer";
  }
  auto count = [&](std::string_view s) -> int64_t {
    return tokenizer ? static_cast<int64_t>(tokenizer->encode(s).size()) : static_cast<int64_t>((s.size() + 3) / 4);
  };

  const context::Language& language = context::language_for(flags->get("language").value_or(""), fc->path);
  std::optional<context::SyntaxTree> tree;
  if (language.grammar != nullptr) {
    auto parsed = context::SyntaxTree::parse(language, fc->text);
    if (!parsed) return fail(parsed.message());
    tree = std::move(*parsed);
  }
  const auto shape = context::completion_shape(fc->text, fc->cursor, tree ? &*tree : nullptr, flags->has("explicit"));
  context::PromptOptions options;
  options.budget = std::max(1, std::atoi(flags->get("budget").value_or("2048").c_str()));
  auto prompt = context::build_prompt(fc->text, fc->cursor, tree ? &*tree : nullptr, count, options);
  if (auto with = flags->get("with"))
    if (Status s = add_other_files(prompt, *with, fc->path, language, count,
                                   static_cast<int64_t>(double(options.budget) * options.snippet_share));
        !s)
      return fail(s.message());

  std::printf("file       %s (byte %zu)\n", fc->path.c_str(), fc->cursor);
  std::printf("language   %s%s\n", std::string(language.name).c_str(),
              tree && tree->has_error() ? " (the file has syntax errors)" : "");
  std::printf("shape      %s: %s; canvas %d tokens\n", std::string(context::shape_name(shape.kind)).c_str(),
              shape.reason.c_str(), shape.max_tokens);
  std::printf("tokens     %s; budget %lld: prefix %lld%s, suffix %lld%s\n", counter_name.c_str(),
              static_cast<long long>(options.budget), static_cast<long long>(prompt.prefix_tokens),
              prompt.prefix_cut ? " (cut)" : "", static_cast<long long>(prompt.suffix_tokens),
              prompt.suffix_cut ? " (cut)" : "");
  std::printf("kept       %zu line(s) before the prefix window (imports, enclosing headers)\n", prompt.kept.size());
  std::printf("snippets   %zu from other files (%lld tokens)", prompt.snippets.size(),
              static_cast<long long>(prompt.snippet_tokens));
  for (const auto& s : prompt.snippets) std::printf(" %s", s.path.c_str());
  std::printf("\n");
  std::printf("----- prefix -----\n%s<|cursor|>\n----- suffix -----\n%s\n----- end -----\n", prompt.prefix.c_str(),
              prompt.suffix.c_str());
  return 0;
}

}  // namespace infilld::cli
