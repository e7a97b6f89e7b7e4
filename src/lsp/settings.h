// The server's one settings struct (DESIGN.md section 8, rule 7): command-line flags,
// initializationOptions and workspace/didChangeConfiguration all land here. docs/lsp.md
// lists the keys with their types, ranges and defaults.
//
// apply_settings() lays a JSON object over the current settings key by key: an unknown key
// is a warning (and ignored); a bad value is an error that names the key, what was expected
// and what was found, and keeps the previous value; null restores the key's default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/denoise/decode_options.h"

namespace infilld::lsp {

struct Settings {
  std::string model;             // model folder; empty: --model, then INFILLD_MODEL
  std::string device = "auto";   // auto | cpu | cuda
  int64_t budget = 2048;         // prompt tokens for prefix + suffix
  double prefix_share = 0.75;    // of the budget
  double snippet_share = 0.25;   // other files' context, as a share of the budget
  int32_t debounce_ms = 0;       // wait before an automatic request reaches the engine
  int32_t max_tokens = 0;        // canvas length; 0: the completion shape's
  int32_t deadline_ms = 0;       // per-request time limit; 0: none
  bool streaming = false;        // send infilld/completionUpdate notifications
  bool speculative = true;       // compute the suggestion after the current one when idle
  int32_t cache_size = 256;      // completion cache entries; 0: off
  // Decoding: unset keys follow the model family's defaults.
  std::optional<int32_t> steps, block_length, top_k;
  std::optional<uint64_t> seed;
  std::optional<engine::Policy> alg;
  std::optional<engine::Schedule> schedule;
  std::optional<engine::CacheMode> cache;
  std::optional<double> threshold, factor, temperature, top_p, eps;
};

struct SettingsReport {
  std::vector<std::string> warnings;  // unknown keys
  std::vector<std::string> errors;    // bad values (kept at their previous value)
  std::vector<std::string> applied;   // keys accepted
};

// `object` must be a JSON object (anything else is one error).
SettingsReport apply_settings(Settings& settings, const nlohmann::json& object);

// The family's defaults with the settings' decoding keys laid over them. The caller sets
// max_tokens and the deadline per request.
engine::DecodeOptions decode_options(const Settings& settings, engine::DecodeOptions family_defaults);

}  // namespace infilld::lsp
