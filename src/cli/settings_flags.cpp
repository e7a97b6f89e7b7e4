#include "cli/settings_flags.h"

namespace infilld::cli {

void add_settings_flags(FlagSpec& spec) {
  for (const completion::SettingDoc& d : completion::setting_docs())
    if (!d.flag.empty()) spec.with_value.emplace(d.flag);
}

Expected<completion::Settings> read_settings(const Flags& flags) {
  completion::Settings settings;
  for (const completion::SettingDoc& d : completion::setting_docs())
    if (auto v = d.flag.empty() ? std::nullopt : flags.get(d.flag))
      INFILLD_TRY(completion::apply_flag(settings, d.flag, *v));
  return settings;
}

}  // namespace infilld::cli
