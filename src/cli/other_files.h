// --with FILE[,FILE...]: other files whose snippets and definitions go into the prompt (what
// the daemon takes from the editor's open documents), for `complete` and `context`
// (cli/file_plan.h).
#pragma once

#include <string_view>

#include "common/status.h"
#include "context/definitions.h"
#include "context/snippets.h"

namespace infilld::cli {

// Reads the files (a comma-separated list) into a snippet ring and a definition index.
Status read_other_files(std::string_view with_list, context::SnippetRing& ring, context::DefinitionIndex& definitions);

}  // namespace infilld::cli
