#include "completion/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>

namespace infilld::completion {

namespace {

using nlohmann::json;

std::string describe(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

constexpr double kAny = std::numeric_limits<double>::max();

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  return s;
}

// "integer 64..131072", "number >= 0", "integer >= 0".
std::string range_text(std::string_view kind, double lo, double hi) {
  return std::string(kind) + (hi == kAny ? " >= " + number_text(lo) : " " + number_text(lo) + ".." + number_text(hi));
}

// One key: its documentation and how a JSON value lands in the settings (the returned text
// says what was wrong; empty: accepted). Null restores the default.
struct Key {
  SettingDoc doc;
  std::function<std::string(Settings&, const json&, const Settings& defaults)> apply;
  std::function<json(const Settings&)> read;  // the value as the key writes it (null: unset)
  bool numeric = false;  // a command-line value is read as a JSON number first
};

// The value of a field, or null for an unset optional one.
template <typename T>
std::function<json(const Settings&)> reader(T Settings::*field) {
  return [=](const Settings& s) { return json(s.*field); };
}

template <typename T>
std::function<json(const Settings&)> reader(std::optional<T> Settings::*field) {
  return [=](const Settings& s) { return (s.*field) ? json(*(s.*field)) : json(nullptr); };
}

std::string read_integer(const json& v, double lo, double hi, int64_t& out) {
  const std::string expected = "expected an " + range_text("integer", lo, hi) + ", found " + describe(v);
  if (!v.is_number()) return expected;
  const double d = v.get<double>();
  if (!std::isfinite(d) || std::floor(d) != d || d < lo || d > hi || d > 9.2e18) return expected;
  out = v.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX)) : v.get<int64_t>();
  if (v.is_number_float()) out = static_cast<int64_t>(d);
  return {};
}

std::string read_number(const json& v, double lo, double hi, double& out) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi)
    return "expected a " + range_text("number", lo, hi) + ", found " + describe(v);
  out = v.get<double>();
  return {};
}

// Keys of each kind, with their ranges.
template <typename T>
Key integer(SettingDoc d, T Settings::*field, double lo, double hi) {
  d.accepts = range_text("integer", lo, hi);
  return {d,
          [=](Settings& s, const json& v, const Settings& defaults) -> std::string {
            if (v.is_null()) return s.*field = defaults.*field, std::string();
            int64_t value = 0;
            std::string e = read_integer(v, lo, hi, value);
            if (e.empty()) s.*field = static_cast<T>(value);
            return e;
          },
          reader(field), true};
}

template <typename T>
Key optional_integer(SettingDoc d, std::optional<T> Settings::*field, double lo, double hi) {
  d.accepts = range_text("integer", lo, hi);
  return {d,
          [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            int64_t value = 0;
            std::string e = read_integer(v, lo, hi, value);
            if (e.empty()) s.*field = static_cast<T>(value);
            return e;
          },
          reader(field), true};
}

Key number(SettingDoc d, double Settings::*field, double lo, double hi) {
  d.accepts = range_text("number", lo, hi);
  return {d,
          [=](Settings& s, const json& v, const Settings& defaults) -> std::string {
            if (v.is_null()) return s.*field = defaults.*field, std::string();
            return read_number(v, lo, hi, s.*field);
          },
          reader(field), true};
}

Key optional_number(SettingDoc d, std::optional<double> Settings::*field, double lo, double hi) {
  d.accepts = range_text("number", lo, hi);
  return {d,
          [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            double value = 0;
            std::string e = read_number(v, lo, hi, value);
            if (e.empty()) s.*field = value;
            return e;
          },
          reader(field), true};
}

Key boolean(SettingDoc d, bool Settings::*field) {
  d.accepts = "boolean";
  return {d, [=](Settings& s, const json& v, const Settings& defaults) -> std::string {
            if (v.is_null()) return s.*field = defaults.*field, std::string();
            if (!v.is_boolean()) return "expected true or false, found " + describe(v);
            s.*field = v.get<bool>();
            return {};
          },
          reader(field)};
}

std::string quoted_list(const std::vector<std::string>& choices) {
  std::string text;
  for (const std::string& c : choices) text += (text.empty() ? "\"" : ", \"") + c + "\"";
  return text;
}

Key string(SettingDoc d, std::string Settings::*field, std::vector<std::string> choices = {}) {
  d.accepts = choices.empty() ? "string" : quoted_list(choices);
  return {d, [=](Settings& s, const json& v, const Settings& defaults) -> std::string {
            if (v.is_null()) return s.*field = defaults.*field, std::string();
            const std::string expected = choices.empty() ? "a string" : "one of " + quoted_list(choices);
            if (!v.is_string()) return "expected " + expected + ", found " + describe(v);
            const std::string value = v.get<std::string>();
            if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end())
              return "expected " + expected + ", found " + describe(v);
            s.*field = value;
            return {};
          },
          reader(field)};
}

// The backend object ({"kind": "infilld", "url": ...}): every member checked, the whole
// object replacing the previous one (members left out take their defaults); a url without
// a kind means another infilld.
std::string read_backend(const json& v, BackendSettings& out) {
  if (!v.is_object()) return "expected an object {\"kind\", \"url\", ...}, found " + describe(v);
  static const std::vector<std::string> kinds = {"local", "infilld", "openai", "fim", "llamacpp", "ollama"};
  BackendSettings b;
  if (v.contains("url")) b.kind = "infilld";
  for (const auto& [name, value] : v.items()) {
    const std::string at = "member \"" + name + "\": ";
    if (name == "timeoutMs") {
      if (std::string e = read_integer(value, 1, 3600000, b.timeout_ms); !e.empty()) return at + e;
    } else if (name == "headers") {
      if (!value.is_object()) return at + "expected an object of header names to strings, found " + describe(value);
      for (const auto& [header, text] : value.items()) {
        // A name is an HTTP token; a value one non-empty line (libcurl takes "Name:" with
        // nothing after it as "remove this header").
        const bool bad_name = header.empty() || std::any_of(header.begin(), header.end(), [](char c) {
          return !std::isalnum(static_cast<unsigned char>(c)) && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos;
        });
        if (bad_name || !text.is_string() || text.get<std::string>().empty() ||
            text.get<std::string>().find_first_of("\r\n") != std::string::npos)
          return at + "header \"" + header + "\": expected a name of letters, digits and !#$%&'*+-.^_`|~ and a "
                      "non-empty one-line string";
        b.headers.emplace_back(header, text.get<std::string>());
      }
    } else {
      std::string BackendSettings::*field = name == "kind"        ? &BackendSettings::kind
                                            : name == "url"       ? &BackendSettings::url
                                            : name == "model"     ? &BackendSettings::model
                                            : name == "apiKeyEnv" ? &BackendSettings::api_key_env
                                            : name == "caFile"    ? &BackendSettings::ca_file
                                                                  : nullptr;
      if (field == nullptr)
        return at + "not a backend member (kind, url, model, apiKeyEnv, timeoutMs, caFile, headers)";
      if (!value.is_string()) return at + "expected a string, found " + describe(value);
      b.*field = value.get<std::string>();
    }
  }
  if (std::find(kinds.begin(), kinds.end(), b.kind) == kinds.end())
    return "member \"kind\": expected one of " + quoted_list(kinds) + ", found \"" + b.kind + "\"";
  if (b.remote() && b.url.rfind("http://", 0) != 0 && b.url.rfind("https://", 0) != 0)
    return "member \"url\": kind \"" + b.kind + "\" needs an http:// or https:// URL, found \"" + b.url + "\"";
  out = std::move(b);
  return {};
}

// Header values may be secrets (a key some proxy wants): they are read back as their length
// only, so that logs and infilld/stats never show them.
json backend_json(const BackendSettings& b) {
  json headers = json::object();
  for (const auto& [name, text] : b.headers) headers[name] = "(" + std::to_string(text.size()) + " characters)";
  return {{"kind", b.kind}, {"url", url_without_userinfo(b.url)}, {"model", b.model}, {"apiKeyEnv", b.api_key_env},
          {"timeoutMs", b.timeout_ms}, {"caFile", b.ca_file}, {"headers", headers}};
}

Key backend(SettingDoc d) {
  d.accepts = "object {kind, url, model, apiKeyEnv, timeoutMs, caFile, headers}";
  return {d, [](Settings& s, const json& v, const Settings& defaults) -> std::string {
            if (v.is_null()) return s.backend = defaults.backend, std::string();
            return read_backend(v, s.backend);
          },
          [](const Settings& s) { return backend_json(s.backend); }};
}

// An engine enumeration read by its parse function (parse_policy...) and written by its
// name function (policy_name...); `names` documents it.
template <typename E, typename Parse, typename Name>
Key enumeration(SettingDoc d, std::optional<E> Settings::*field, Parse parse, Name name,
                std::vector<std::string> names) {
  d.accepts = quoted_list(names);
  return {d, [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            if (!v.is_string()) return "expected one of " + quoted_list(names) + ", found " + describe(v);
            auto parsed = parse(v.get<std::string>());
            if (!parsed) return parsed.message();
            s.*field = *parsed;
            return {};
          },
          [=](const Settings& s) { return (s.*field) ? json(std::string(name(*(s.*field)))) : json(nullptr); }};
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      string({"model", "", {}, "(none)", "model folder; changing it reloads the model (the CLI: --model)"}, &Settings::model),
      string({"device", "device", {}, "auto",
              "where the engine runs: auto takes the GPU when the build has the CUDA backend, one is visible and the "
              "model fits"},
             &Settings::device, {"auto", "cpu", "cuda"}),
      string({"quantize", "quantize", {}, "none",
              "q8: weights quantized to 8 bits at load (about half the memory of BF16; CPU only); changing it "
              "reloads the model"},
             &Settings::quantize, {"none", "q8"}),
      integer({"budget", "budget", {}, "2048", "prompt tokens for prefix + suffix"}, &Settings::budget, 64, 131072),
      number({"prefixShare", "prefix-share", {}, "0.75", "the prefix's share of the budget"}, &Settings::prefix_share, 0.0,
             1.0),
      number({"snippetShare", "snippet-share", {}, "0.25", "tokens for other files' context, as a share of the budget"},
             &Settings::snippet_share, 0.0, 1.0),
      integer({"debounceMs", "", {}, "0",
               "wait before an automatic request goes to the engine (a newer one in the meantime replaces it)"},
              &Settings::debounce_ms, 0, 60000),
      integer({"maxTokens", "max-tokens", {}, "0", "canvas length; 0 lets the completion shape choose"},
              &Settings::max_tokens, 0, 1024),
      integer({"deadlineMs", "deadline-ms", {}, "0",
               "per-request time limit (0: none); at the limit the remaining masks are filled greedily"},
              &Settings::deadline_ms, 0, 60000),
      boolean({"streaming", "", {}, "false", "send infilld/completionUpdate notifications"}, &Settings::streaming),
      boolean({"speculative", "", {}, "true", "after a suggestion, compute the one after it when idle"},
              &Settings::speculative),
      integer({"cacheSize", "", {}, "256", "completion cache entries (0: off)"}, &Settings::cache_size, 0, 10000),
      integer({"maxDocumentBytes", "", {}, "67108864",
               "larger documents are tracked but not completed; above 2 MiB a document is completed without a "
               "syntax tree (docs/decisions.md)"},
              &Settings::max_document_bytes, 1024, 1 << 30),
      backend({"backend", "", {}, "local",
               "where middles are filled: {\"kind\": \"local\"} or another engine over HTTP, kind \"infilld\", "
               "\"openai\", \"fim\", \"llamacpp\" or \"ollama\" with its url (docs/serve.md); changing it "
               "reloads"}),
      optional_integer({"steps", "steps", {}, "the family's", "denoising steps (0: one per token)"}, &Settings::steps, 0,
                       4096),
      optional_integer({"blockLength", "block-length", {}, "the family's", "tokens per block (0: one block)"},
                       &Settings::block_length, 0, 4096),
      optional_integer({"maxLength", "max-length", {}, "twice the canvas",
                        "the longest a span may grow with DreamOn's expand token (0: twice the canvas)"},
                       &Settings::max_length, 0, 4096),
      optional_integer({"topK", "top-k", {}, "0", "sample among the k most likely tokens (0: off)"}, &Settings::top_k, 0,
                       1 << 20),
      optional_integer({"seed", "seed", {}, "0", "the sampler's seed"}, &Settings::seed, 0, kAny),
      enumeration({"alg", "alg", {}, "the family's", "which masked positions are revealed first"}, &Settings::alg,
                  engine::parse_policy, engine::policy_name, {"confidence", "margin", "entropy", "random"}),
      enumeration({"schedule", "schedule", {}, "the family's", "how many are revealed per step"}, &Settings::schedule,
                  engine::parse_schedule, engine::schedule_name, {"timestep", "even"}),
      enumeration({"cache", "cache", {}, "none", "Fast-dLLM's approximate cache (bidirectional models)"},
                  &Settings::cache, engine::parse_cache_mode, engine::cache_mode_name, {"none", "prefix", "dual"}),
      optional_number({"threshold", "threshold", {}, "(off)", "Fast-dLLM: reveal every position this confident"},
                      &Settings::threshold, 0.0, 1.0),
      optional_number({"factor", "factor", {}, "(off)", "Fast-dLLM factor decoding"}, &Settings::factor, 0.0, kAny),
      optional_number({"temperature", "temperature", {}, "0", "sampling temperature (0: the most likely token)"},
                      &Settings::temperature, 0.0, 100.0),
      optional_number({"topP", "top-p", {}, "1", "sample from the smallest set with this much probability (1: off)"},
                      &Settings::top_p, 0.0, 1.0),
      optional_number({"eps", "eps", {}, "0.001", "Dream's final timestep"}, &Settings::eps, 0.0, 1.0),
  };
  return table;
}

const Key* find_key(std::string_view name, bool by_flag) {
  for (const Key& k : keys())
    if ((by_flag ? k.doc.flag : k.doc.key) == name && !name.empty()) return &k;
  return nullptr;
}

}  // namespace

std::span<const SettingDoc> setting_docs() {
  static const std::vector<SettingDoc> docs = [] {
    std::vector<SettingDoc> d;
    for (const Key& k : keys()) d.push_back(k.doc);
    return d;
  }();
  return docs;
}

SettingsReport apply_settings(Settings& settings, const json& object) {
  SettingsReport report;
  if (!object.is_object()) {
    report.errors.push_back("settings: expected a JSON object, found " + describe(object));
    return report;
  }
  static const Settings defaults;
  for (const auto& [name, value] : object.items()) {
    const Key* key = find_key(name, false);
    if (key == nullptr) {
      report.warnings.push_back("unknown setting \"" + name + "\" (ignored)");
      continue;
    }
    const Settings before = settings;
    std::string problem = key->apply(settings, value, defaults);
    if (!problem.empty()) {
      settings = before;
      report.errors.push_back("setting \"" + name + "\": " + problem + " (kept the previous value)");
      continue;
    }
    report.applied.push_back(name);
  }
  return report;
}

std::string apply_setting(Settings& settings, std::string_view name, const json& value) {
  const Key* key = find_key(name, false);
  if (key == nullptr) return "not a setting";
  static const Settings defaults;
  const Settings before = settings;
  std::string problem = key->apply(settings, value, defaults);
  if (!problem.empty()) settings = before;
  return problem;
}

json settings_json(const Settings& settings) {
  json out = json::object();
  for (const Key& k : keys()) out[std::string(k.doc.key)] = k.read(settings);
  return out;
}

std::vector<std::string> describe_changes(const Settings& before, const Settings& after) {
  std::vector<std::string> changes;
  for (const Key& k : keys()) {
    const json was = k.read(before), now = k.read(after);
    // (an object, the backend, in full: its URL is what one looks for)
    auto text = [](const json& v) { return v.is_object() ? v.dump() : describe(v); };
    if (was != now) changes.push_back(std::string(k.doc.key) + " " + text(now) + " (was " + text(was) + ")");
  }
  return changes;
}

Status apply_flag(Settings& settings, std::string_view flag, std::string_view value) {
  const Key* key = find_key(flag, true);
  if (key == nullptr) return error("--", flag, " is not a completion setting");
  // A numeric key reads the text as a JSON number when the whole text is one; anything
  // else reaches the key as a string and is refused there with the key's own message.
  json v = std::string(value);
  if (key->numeric) {
    double d = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
    if (!value.empty() && ec == std::errc() && end == value.data() + value.size()) {
      int64_t i = 0;
      auto [iend, iec] = std::from_chars(value.data(), value.data() + value.size(), i);
      v = iec == std::errc() && iend == value.data() + value.size() ? json(i) : json(d);
    }
  }
  static const Settings defaults;
  const Settings before = settings;
  if (std::string problem = key->apply(settings, v, defaults); !problem.empty()) {
    settings = before;
    return error("--", flag, ": ", problem);
  }
  return Status::ok();
}

engine::DecodeOptions decode_options(const Settings& s, engine::DecodeOptions o) {
  if (s.steps) o.steps = *s.steps;
  if (s.block_length) o.block_length = *s.block_length;
  if (s.max_length) o.max_length = *s.max_length;
  if (s.top_k) o.top_k = *s.top_k;
  if (s.seed) o.seed = *s.seed;
  if (s.alg) o.policy = *s.alg;
  if (s.schedule) o.schedule = *s.schedule;
  if (s.cache) o.cache = *s.cache;
  if (s.threshold) o.threshold = *s.threshold;
  if (s.factor) o.factor = *s.factor;
  if (s.temperature) o.temperature = *s.temperature;
  if (s.top_p) o.top_p = *s.top_p;
  if (s.eps) o.eps = *s.eps;
  return o;
}

std::string url_without_userinfo(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host = scheme + 3;
  const size_t end = url.find_first_of("/?#", host);
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < host) return std::string(url);
  return std::string(url.substr(0, host)) + std::string(url.substr(at + 1));
}

std::vector<std::string> settings_markdown_rows() {
  std::vector<std::string> rows;
  for (const SettingDoc& d : setting_docs()) {
    const std::string flag = d.flag.empty() ? "" : "`--" + std::string(d.flag) + "`";
    rows.push_back("| `" + std::string(d.key) + "` | " + flag + " | " + d.accepts + " | " + std::string(d.default_text) +
                   " | " + std::string(d.doc) + " |");
  }
  return rows;
}

std::string settings_help() {
  std::string text = "settings (the language server's keys of the same name, docs/lsp.md):\n";
  for (const SettingDoc& d : setting_docs()) {
    if (d.flag.empty()) continue;
    std::string line = "  --" + std::string(d.flag) + " (" + std::string(d.key) + ")";
    line.resize(std::max<size_t>(line.size() + 1, 34), ' ');
    text += line + d.accepts + ", default " + std::string(d.default_text) + ": " + std::string(d.doc) + "\n";
  }
  return text;
}

}  // namespace infilld::completion
