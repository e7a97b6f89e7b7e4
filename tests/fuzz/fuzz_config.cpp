// Any text given as config.json (and as generation_config.json) goes through the
// architecture readers and returns a config or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/models/architecture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) return 0;
  auto lookup = [](std::string_view token) -> std::optional<int32_t> {
    if (token == "<|mask|>") return 7;
    return std::nullopt;
  };
  (void)infilld::engine::read_model_config(config, config, lookup);
  (void)infilld::engine::read_model_config(config, nlohmann::json::object(), nullptr);
  return 0;
}
