// The one table of completion settings (DESIGN.md section 8, rule 7): decoding, prompt and
// server keys with their type, range, default and a one-line doc. Every front end reads
// it: `infilld complete`'s flags (--max-tokens...), the language server's
// initializationOptions and workspace/didChangeConfiguration (maxTokens...), and later the
// HTTP server's request fields; docs/lsp.md's settings table and `infilld complete --help`
// are checked against it (tests/completion/test_settings.cpp), so they cannot drift.
//
// apply_settings() lays a JSON object over the current settings key by key: an unknown key
// is a warning (and ignored); a bad value is an error that names the key, what was expected
// and what was found, and keeps the previous value; null restores the key's default.
// apply_flag() reads one command-line value through the same key, so a flag and a setting
// accept exactly the same values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/denoise/decode_options.h"

namespace infilld::completion {

// Where middles are filled: "local" (the model loaded in this process) or another engine
// over HTTP (completion/remote_backend.h). The plan, the context and the post-processing
// stay local whichever it is; a remote kind plans with the model folder's tokenizer.
struct BackendSettings {
  std::string kind = "local";  // local | infilld | openai | fim | llamacpp | ollama
  std::string url;             // the remote's base URL (http:// or https://)
  std::string model;           // the remote's name for its model (sent as "model")
  std::string api_key_env;     // the environment variable holding the key; empty: no key
  int64_t timeout_ms = 30000;  // one whole transfer
  std::string ca_file;         // an extra CA bundle for HTTPS; empty: the system's
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
  bool operator==(const BackendSettings&) const = default;
  bool remote() const { return kind != "local"; }
};

struct Settings {
  std::string model;             // model folder; empty: --model, then INFILLD_MODEL
  std::string device = "auto";   // auto | cpu | cuda
  std::string quantize = "none"; // none | q8 (engine::Quantization)
  int64_t budget = 2048;         // prompt tokens for prefix + suffix
  double prefix_share = 0.75;    // of the budget
  double snippet_share = 0.25;   // other files' context, as a share of the budget
  int32_t debounce_ms = 0;       // wait before an automatic request reaches the engine
  int32_t max_tokens = 0;        // canvas length; 0: the completion shape's
  int32_t deadline_ms = 0;       // per-request time limit; 0: none
  bool streaming = false;        // send infilld/completionUpdate notifications
  bool speculative = true;       // compute the suggestion after the current one when idle
  int32_t cache_size = 256;      // completion cache entries; 0: off
  int32_t max_document_bytes = 64 << 20;  // larger documents: tracked, not completed (64 MiB)
  BackendSettings backend;
  // Decoding: unset keys follow the model family's defaults.
  std::optional<int32_t> steps, block_length, top_k, max_length;
  std::optional<uint64_t> seed;
  std::optional<engine::Policy> alg;
  std::optional<engine::Schedule> schedule;
  std::optional<engine::CacheMode> cache;
  std::optional<double> threshold, factor, temperature, top_p, eps;
};

// What a key accepts, for documentation and help text.
struct SettingDoc {
  std::string_view key;   // the JSON name: "maxTokens"
  std::string_view flag;  // the command-line flag without "--": "max-tokens"; empty: a server-only key
  std::string accepts;    // "integer 0..1024", "\"auto\", \"cpu\", \"cuda\"", "boolean"...
  std::string_view default_text;  // "0", "the family's"...
  std::string_view doc;   // one line
};

// Every key, in the table's order.
std::span<const SettingDoc> setting_docs();

struct SettingsReport {
  std::vector<std::string> warnings;  // unknown keys
  std::vector<std::string> errors;    // bad values (kept at their previous value)
  std::vector<std::string> applied;   // keys accepted
};

// `object` must be a JSON object (anything else is one error).
SettingsReport apply_settings(Settings& settings, const nlohmann::json& object);

// One key (`name`, the JSON name) set to `value`: "" when accepted, else what was wrong
// ("expected an integer 0..1024, found 2000", "not a setting"), the settings unchanged. For
// front ends that name the problem by their own field (the HTTP server's `max_tokens`).
std::string apply_setting(Settings& settings, std::string_view name, const nlohmann::json& value);

// Every key with its current value, as apply_settings() reads it (null: an unset decoding
// key, which follows the family's default).
nlohmann::json settings_json(const Settings& settings);

// The keys whose value differs, one "budget 1024 (was 2048)" each, in the table's order.
std::vector<std::string> describe_changes(const Settings& before, const Settings& after);

// One command-line flag's value (`flag` without "--"), read through its key. Errors name
// the flag: "--budget: expected an integer 64..131072, found \"abc\"". An unknown flag is
// an error too.
Status apply_flag(Settings& settings, std::string_view flag, std::string_view value);

// The family's defaults with the settings' decoding keys laid over them. The caller sets
// max_tokens and the deadline per request.
engine::DecodeOptions decode_options(const Settings& settings, engine::DecodeOptions family_defaults);

// `url` without a user and password ("https://user:key@host/v1" -> "https://host/v1"), for
// logs and infilld/stats.
std::string url_without_userinfo(std::string_view url);

// The rows of docs/lsp.md's settings table ("| `key` | `--flag` | accepts | default | doc |")
// and the settings part of `infilld complete --help`, both from the table.
std::vector<std::string> settings_markdown_rows();
std::string settings_help();

}  // namespace infilld::completion
