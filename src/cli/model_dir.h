// Where the CLI finds the model folder (DESIGN.md section 1): --model DIR, then the
// INFILLD_MODEL environment variable. (The user's data dir and the embedded default
// model join this list when the default model exists.)
#pragma once

#include <filesystem>

#include "cli/flags.h"
#include "common/status.h"

namespace infilld::cli {

Expected<std::filesystem::path> resolve_model_dir(const Flags& flags);

}  // namespace infilld::cli
