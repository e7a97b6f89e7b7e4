// Where the CLI and the server find the model folder (DESIGN.md section 1), first match wins:
//   1. --model DIR
//   2. the INFILLD_MODEL environment variable
//   3. the user's data dir: $XDG_DATA_HOME/infilld/models/default
//      (else ~/.local/share/infilld/models/default)
//   4. the installed model: <prefix>/share/infilld/models/default, beside <prefix>/bin/infilld
//   5. the source tree's models/default (the model shipped in this repository): the tree
//      the binary was built from, or $INFILLD_SOURCE_DIR when set (tests use it to point
//      at a tree without a model)
// 1 and 2 are taken as given (a wrong folder is the loader's clear error); 3-5 count only
// when the folder holds a config.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "common/status.h"

namespace infilld::cli {

struct ModelCandidate {
  std::string origin;  // "user data dir", "installed", "source tree"
  std::filesystem::path dir;
};

// The default-model folders (3-5 above), in order, whether or not they exist.
std::vector<ModelCandidate> default_model_candidates();

Expected<std::filesystem::path> resolve_model_dir(const Flags& flags);

}  // namespace infilld::cli
