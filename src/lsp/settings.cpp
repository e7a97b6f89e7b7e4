#include "lsp/settings.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string_view>

#include "lsp/protocol.h"

namespace infilld::lsp {

namespace {

using nlohmann::json;

std::string describe(const json& v) { return describe_json(v, 60); }

// One key: reads a JSON value into the settings, or returns what was wrong with it
// (empty: accepted). Null restores the default.
struct Key {
  std::string_view name;
  std::function<std::string(Settings&, const json&, const Settings& defaults)> apply;
};

template <typename T>
std::string read_integer(const json& v, int64_t lo, int64_t hi, T& out) {
  if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
    return "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", found " + describe(v);
  const double d = v.get<double>();
  if (d < double(lo) || d > double(hi))
    return "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", found " + describe(v);
  out = static_cast<T>(v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>());
  return {};
}

std::string read_number(const json& v, double lo, double hi, double& out) {
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi || !std::isfinite(v.get<double>())) {
    std::string range = hi == std::numeric_limits<double>::max() ? ">= " + std::to_string(lo)
                                                                  : "from " + std::to_string(lo) + " to " + std::to_string(hi);
    return "expected a number " + range + ", found " + describe(v);
  }
  out = v.get<double>();
  return {};
}

// Keys of each kind, with their ranges.
template <typename T>
Key integer(std::string_view name, T Settings::*field, int64_t lo, int64_t hi) {
  return {name, [=](Settings& s, const json& v, const Settings& d) -> std::string {
            if (v.is_null()) return s.*field = d.*field, std::string();
            return read_integer(v, lo, hi, s.*field);
          }};
}

template <typename T>
Key optional_integer(std::string_view name, std::optional<T> Settings::*field, int64_t lo, int64_t hi) {
  return {name, [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            T value{};
            std::string e = read_integer(v, lo, hi, value);
            if (e.empty()) s.*field = value;
            return e;
          }};
}

Key number(std::string_view name, double Settings::*field, double lo, double hi) {
  return {name, [=](Settings& s, const json& v, const Settings& d) -> std::string {
            if (v.is_null()) return s.*field = d.*field, std::string();
            return read_number(v, lo, hi, s.*field);
          }};
}

Key optional_number(std::string_view name, std::optional<double> Settings::*field, double lo, double hi) {
  return {name, [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            double value = 0;
            std::string e = read_number(v, lo, hi, value);
            if (e.empty()) s.*field = value;
            return e;
          }};
}

Key boolean(std::string_view name, bool Settings::*field) {
  return {name, [=](Settings& s, const json& v, const Settings& d) -> std::string {
            if (v.is_null()) return s.*field = d.*field, std::string();
            if (!v.is_boolean()) return "expected true or false, found " + describe(v);
            s.*field = v.get<bool>();
            return {};
          }};
}

Key string(std::string_view name, std::string Settings::*field, std::vector<std::string> choices = {}) {
  return {name, [=](Settings& s, const json& v, const Settings& d) -> std::string {
            if (v.is_null()) return s.*field = d.*field, std::string();
            std::string expected = "a string";
            if (!choices.empty()) {
              expected = "one of";
              for (const std::string& c : choices) expected += " \"" + c + "\"";
            }
            if (!v.is_string()) return "expected " + expected + ", found " + describe(v);
            const std::string value = v.get<std::string>();
            if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end())
              return "expected " + expected + ", found " + describe(v);
            s.*field = value;
            return {};
          }};
}

// An engine enumeration read by its parse function (parse_policy...).
template <typename E, typename Parse>
Key enumeration(std::string_view name, std::optional<E> Settings::*field, Parse parse) {
  return {name, [=](Settings& s, const json& v, const Settings&) -> std::string {
            if (v.is_null()) return (s.*field).reset(), std::string();
            if (!v.is_string()) return "expected a string, found " + describe(v);
            auto parsed = parse(v.get<std::string>());
            if (!parsed) return parsed.message();
            s.*field = *parsed;
            return {};
          }};
}

const std::vector<Key>& keys() {
  constexpr double kAny = std::numeric_limits<double>::max();
  static const std::vector<Key> table = {
      string("model", &Settings::model),
      string("device", &Settings::device, {"auto", "cpu", "cuda"}),
      integer("budget", &Settings::budget, 64, 131072),
      number("prefixShare", &Settings::prefix_share, 0.0, 1.0),
      number("snippetShare", &Settings::snippet_share, 0.0, 1.0),
      integer("debounceMs", &Settings::debounce_ms, 0, 5000),
      integer("maxTokens", &Settings::max_tokens, 0, 1024),
      integer("deadlineMs", &Settings::deadline_ms, 0, 60000),
      boolean("streaming", &Settings::streaming),
      boolean("speculative", &Settings::speculative),
      integer("cacheSize", &Settings::cache_size, 0, 10000),
      optional_integer("steps", &Settings::steps, 1, 4096),
      optional_integer("blockLength", &Settings::block_length, 0, 4096),
      optional_integer("topK", &Settings::top_k, 0, 1 << 20),
      optional_integer("seed", &Settings::seed, 0, std::numeric_limits<int64_t>::max()),
      enumeration("alg", &Settings::alg, engine::parse_policy),
      enumeration("schedule", &Settings::schedule, engine::parse_schedule),
      enumeration("cache", &Settings::cache, engine::parse_cache_mode),
      optional_number("threshold", &Settings::threshold, 0.0, 1.0),
      optional_number("factor", &Settings::factor, 0.0, kAny),
      optional_number("temperature", &Settings::temperature, 0.0, kAny),
      optional_number("topP", &Settings::top_p, 0.0, 1.0),
      optional_number("eps", &Settings::eps, 0.0, 1.0),
  };
  return table;
}

}  // namespace

SettingsReport apply_settings(Settings& settings, const json& object) {
  SettingsReport report;
  if (!object.is_object()) {
    report.errors.push_back("settings: expected a JSON object, found " + describe(object));
    return report;
  }
  static const Settings defaults;
  for (const auto& [name, value] : object.items()) {
    const Key* key = nullptr;
    for (const Key& k : keys())
      if (k.name == name) key = &k;
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

engine::DecodeOptions decode_options(const Settings& s, engine::DecodeOptions o) {
  if (s.steps) o.steps = *s.steps;
  if (s.block_length) o.block_length = *s.block_length;
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

}  // namespace infilld::lsp
