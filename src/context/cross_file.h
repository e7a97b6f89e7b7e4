// Context from other files in front of the prompt (DESIGN.md section 5): first the
// definitions of what the code before the cursor calls (up to half the budget), then the
// chunks of other files most like it, both rendered as comments of the target language.
#pragma once

#include <cstdint>
#include <string_view>

#include "context/definitions.h"
#include "context/prompt.h"
#include "context/snippets.h"

namespace infilld::context {

void add_cross_file_context(Prompt& prompt, const SnippetRing& ring, const DefinitionIndex& definitions,
                            std::string_view current_path, const Language& language, const TokenCounter& count,
                            int64_t budget);

}  // namespace infilld::context
