#include "cli/model_dir.h"

#include <cstdlib>

namespace infilld::cli {

Expected<std::filesystem::path> resolve_model_dir(const Flags& flags) {
  if (auto dir = flags.get("model")) return std::filesystem::path(*dir);
  if (const char* env = std::getenv("INFILLD_MODEL"); env != nullptr && *env != '\0')
    return std::filesystem::path(env);
  return error("no model: pass --model DIR (a Hugging Face checkpoint folder) or set INFILLD_MODEL");
}

}  // namespace infilld::cli
