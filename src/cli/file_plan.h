// A file's text split at the cursor, planned as every front end plans it
// (completion/plan.h): `infilld complete` sends the plan to the engine, `infilld context`
// prints it, so the prompt shown is the prompt sent.
#pragma once

#include <optional>
#include <string>

#include "cli/flags.h"
#include "common/status.h"
#include "completion/plan.h"
#include "completion/settings.h"
#include "context/definitions.h"
#include "context/snippets.h"
#include "context/syntax_tree.h"

namespace infilld::cli {

struct FilePlan {
  completion::Plan plan;
  const context::Language* language = nullptr;
  std::optional<context::SyntaxTree> tree;  // of the whole text; none for plain text
};

struct FilePlanInput {
  const std::string& prefix;  // the text before the cursor
  const std::string& suffix;  // and after it
  const std::string& path;    // the file (its extension picks the language unless --language)
  bool explicit_request = true;  // a script's request; `context --explicit` for the editor's view
};

// --language and --with are read from `flags`; the budget, shares and canvas length from
// `settings`; the tokenizer, positions and canvas layout from `model` (the backend's
// facts); `max_length`: the request's (DreamOn's longest span).
Expected<FilePlan> plan_file(const FilePlanInput& in, const Flags& flags, const completion::Settings& settings,
                             const completion::ModelFacts& model, int32_t max_length);

}  // namespace infilld::cli
