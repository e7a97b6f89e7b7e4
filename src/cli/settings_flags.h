// The completion settings as command-line flags (--max-tokens, --device...), read through
// the one settings table the language server and the HTTP server read (completion/settings.h).
#pragma once

#include "cli/flags.h"
#include "common/status.h"
#include "completion/settings.h"

namespace infilld::cli {

// Adds every settings key that has a flag to `spec` (each takes a value).
void add_settings_flags(FlagSpec& spec);

// The settings given as flags over the defaults. Errors name the flag.
Expected<completion::Settings> read_settings(const Flags& flags);

}  // namespace infilld::cli
