#include "cli/file_plan.h"

#include "cli/other_files.h"

namespace infilld::cli {

Expected<FilePlan> plan_file(const FilePlanInput& in, const Flags& flags, const completion::Settings& settings,
                             const completion::ModelFacts& model, int32_t max_length) {
  FilePlan out;
  const std::string full = in.prefix + in.suffix;
  out.language = &context::language_for(flags.get("language").value_or(""), in.path);
  if (out.language->grammar != nullptr)
    if (auto parsed = context::SyntaxTree::parse(*out.language, full)) out.tree = std::move(*parsed);
  // What the language server takes from the editor's other documents, from --with files.
  context::SnippetRing ring;
  context::DefinitionIndex definitions;
  if (auto with = flags.get("with")) INFILLD_TRY(read_other_files(*with, ring, definitions));
  auto plan = completion::plan_completion({.text = full,
                                           .cursor = in.prefix.size(),
                                           .tree = out.tree ? &*out.tree : nullptr,
                                           .language = out.language,
                                           .path = in.path,
                                           .explicit_request = in.explicit_request,
                                           .model = &model,
                                           .max_length = max_length,
                                           .prompt = {.budget = settings.budget,
                                                      .prefix_share = settings.prefix_share,
                                                      .snippet_share = settings.snippet_share},
                                           .max_tokens = settings.max_tokens,
                                           .ring = &ring,
                                           .definitions = &definitions});
  if (!plan) return plan.error();
  out.plan = std::move(*plan);
  return out;
}

}  // namespace infilld::cli
