#include "cli/model_dir.h"

#include <cstdlib>
#include <system_error>

namespace infilld::cli {
namespace {

namespace fs = std::filesystem;

const char* env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// The running binary's folder (Linux: /proc/self/exe), empty when it cannot be read.
fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool holds_model(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "config.json", ec);
}

}  // namespace

std::vector<ModelCandidate> default_model_candidates() {
  std::vector<ModelCandidate> out;
  const fs::path tail = fs::path("infilld") / "models" / "default";
  if (const char* xdg = env_or_null("XDG_DATA_HOME"))
    out.push_back({"user data dir", fs::path(xdg) / tail});
  else if (const char* home = env_or_null("HOME"))
    out.push_back({"user data dir", fs::path(home) / ".local" / "share" / tail});
  if (fs::path bin = executable_dir(); !bin.empty())
    out.push_back({"installed", bin.parent_path() / "share" / tail});
  fs::path source;
#ifdef INFILLD_SOURCE_DIR
  source = INFILLD_SOURCE_DIR;
#endif
  if (const char* dir = env_or_null("INFILLD_SOURCE_DIR")) source = dir;
  if (!source.empty()) out.push_back({"source tree", source / "models" / "default"});
  return out;
}

Expected<fs::path> resolve_model_dir(const Flags& flags) {
  if (auto dir = flags.get("model")) return fs::path(*dir);
  if (const char* env = env_or_null("INFILLD_MODEL")) return fs::path(env);
  std::string looked;
  for (const ModelCandidate& c : default_model_candidates()) {
    if (holds_model(c.dir)) return c.dir;
    looked += (looked.empty() ? "" : ", ") + c.dir.string() + " (" + c.origin + ")";
  }
  return error("no model: pass --model DIR (a Hugging Face checkpoint folder) or set INFILLD_MODEL;"
               " no default model in " + looked);
}

}  // namespace infilld::cli
