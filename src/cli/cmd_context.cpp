// infilld context FILE:LINE:COL: the prompt that would be sent, for debugging: the language,
// the completion shape at the cursor, and the prefix and suffix windows with their token
// counts. It plans exactly as `infilld complete` and the language server do (cli/file_plan.h,
// completion/plan.h), with the same model (its tokenizer counts, its canvas layout and
// context length bound the budget) and the same settings (--budget, --prefix-share...).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/file_plan.h"
#include "cli/flags.h"
#include "cli/location.h"
#include "cli/model_dir.h"
#include "completion/backend.h"
#include "completion/local_backend.h"
#include "completion/settings.h"
#include "context/shape.h"

namespace infilld::cli {

int cmd_context(Args args) {
  // The settings that shape a prompt, read through the one table (completion/settings.h).
  constexpr const char* kPromptSettings[] = {"budget", "prefix-share", "snippet-share", "max-tokens", "max-length"};
  FlagSpec spec{.with_value = {"model", "language", "with"}, .boolean = {"explicit"}};
  for (const char* key : kPromptSettings) spec.with_value.emplace(key);
  auto flags = Flags::parse(args, spec);
  if (!flags) return fail(flags.message());
  if (flags->positional().size() != 1) return fail("usage: infilld context FILE:LINE:COL [--model DIR] [--budget N] [--with FILE,...]");
  completion::Settings settings;
  for (const char* key : kPromptSettings)
    if (auto v = flags->get(key))
      if (Status s = completion::apply_flag(settings, key, *v); !s) return fail(s.message());
  auto fc = read_file_cursor(flags->positional()[0]);
  if (!fc) return fail(fc.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  // The model's facts as `complete` gets them (nothing runs: the CPU will do).
  auto backend = completion::LocalBackend::load(*dir, {.device = "cpu"});
  if (!backend) return fail(backend.message());
  const completion::ModelFacts& model = (*backend)->facts();
  const int32_t max_length = completion::request_options(settings, model.defaults, {}).max_length;
  const std::string prefix = fc->text.substr(0, fc->cursor), suffix = fc->text.substr(fc->cursor);
  auto plan_as = [&](bool explicit_request) {
    return plan_file({.prefix = prefix, .suffix = suffix, .path = fc->path, .explicit_request = explicit_request}, *flags,
                     settings, model, max_length);
  };
  auto planned = plan_as(flags->has("explicit"));
  if (!planned) return fail(planned.message());
  const context::Shape automatic = planned->plan.shape;
  // Where an editor's automatic request gets nothing, show what an explicit one (and
  // `infilld complete`) would send.
  if (automatic.kind == context::ShapeKind::None) planned = plan_as(true);
  if (!planned) return fail(planned.message());
  const completion::Plan& plan = planned->plan;
  const context::Prompt& prompt = plan.prompt;

  std::printf("file       %s (byte %zu)\n", fc->path.c_str(), fc->cursor);
  std::printf("model      %s\n", dir->string().c_str());
  std::printf("language   %s%s\n", std::string(planned->language->name).c_str(),
              planned->tree && planned->tree->has_error() ? " (the file has syntax errors)" : "");
  if (automatic.kind == context::ShapeKind::None)
    std::printf("shape      none: %s (an automatic request sends nothing); when asked explicitly:\n",
                automatic.reason.c_str());
  std::printf("shape      %s: %s; canvas %d tokens\n", std::string(context::shape_name(plan.shape.kind)).c_str(),
              plan.shape.reason.c_str(), plan.max_tokens);
  if (plan.shape.kind == context::ShapeKind::None) return 0;  // nothing is sent even when asked
  std::printf("tokens     budget %lld: prefix %lld%s, suffix %lld%s; the request takes %lld of the model's %lld positions\n",
              static_cast<long long>(settings.budget), static_cast<long long>(prompt.prefix_tokens),
              prompt.prefix_cut ? " (cut)" : "", static_cast<long long>(prompt.suffix_tokens),
              prompt.suffix_cut ? " (cut)" : "", static_cast<long long>(plan.positions),
              static_cast<long long>(model.max_positions));
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
