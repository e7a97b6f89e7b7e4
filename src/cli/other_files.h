// --with FILE[,FILE...]: other files whose snippets and definitions go into the prompt (what
// the daemon takes from the editor's open documents), for `complete` and `context`.
#pragma once

#include <string_view>

#include "common/status.h"
#include "context/definitions.h"
#include "context/prompt.h"
#include "context/snippets.h"

namespace infilld::cli {

// Reads the files (a comma-separated list) into a snippet ring and a definition index.
Status read_other_files(std::string_view with_list, context::SnippetRing& ring, context::DefinitionIndex& definitions);

// Reads the files, and puts their most similar chunks and the definitions of the
// identifiers near the cursor in front of the prompt, within `budget` tokens.
Status add_other_files(context::Prompt& prompt, std::string_view with_list, std::string_view current_path,
                       const context::Language& language, const context::TokenCounter& count, int64_t budget);

}  // namespace infilld::cli
