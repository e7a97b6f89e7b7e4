#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "lsp/settings.h"

using infilld::lsp::apply_settings;
using infilld::lsp::Settings;
using nlohmann::json;

TEST_CASE("settings: known keys apply, unknown keys warn, bad values explain and keep the old value") {
  Settings s;
  auto report = apply_settings(s, json{{"maxTokens", 24}, {"alg", "margin"}, {"threshold", 0.9}, {"streaming", true},
                                       {"bogus", 1}, {"budget", "big"}, {"debounceMs", -5}, {"device", "tpu"}});
  CHECK(s.max_tokens == 24);
  REQUIRE(s.alg);
  CHECK(*s.alg == infilld::engine::Policy::Margin);
  CHECK(*s.threshold == doctest::Approx(0.9));
  CHECK(s.streaming);
  CHECK(s.budget == 2048);
  CHECK(s.debounce_ms == 0);
  CHECK(s.device == "auto");
  REQUIRE(report.warnings.size() == 1);
  CHECK(report.warnings[0].find("\"bogus\"") != std::string::npos);
  REQUIRE(report.errors.size() == 3);
  for (const std::string& e : report.errors) {
    CHECK(e.find("expected") != std::string::npos);
    CHECK(e.find("found") != std::string::npos);
    CHECK(e.find("kept the previous value") != std::string::npos);
  }
  CHECK(report.applied.size() == 4);
}

TEST_CASE("settings: ranges, integers and enumerations are checked") {
  Settings s;
  CHECK(apply_settings(s, json{{"maxTokens", 1025}}).errors.size() == 1);
  CHECK(apply_settings(s, json{{"maxTokens", 2.5}}).errors.size() == 1);
  CHECK(apply_settings(s, json{{"maxTokens", 8.0}}).errors.empty());
  CHECK(s.max_tokens == 8);
  CHECK(apply_settings(s, json{{"topP", 1.5}}).errors.size() == 1);
  CHECK(apply_settings(s, json{{"cache", "dual"}}).errors.empty());
  CHECK(*s.cache == infilld::engine::CacheMode::Dual);
  auto bad = apply_settings(s, json{{"cache", "huge"}});
  REQUIRE(bad.errors.size() == 1);
  CHECK(*s.cache == infilld::engine::CacheMode::Dual);
  CHECK(apply_settings(s, json{{"speculative", "yes"}}).errors.size() == 1);
  CHECK(apply_settings(s, json::array()).errors.size() == 1);
}

TEST_CASE("settings: null restores the default; decode_options lays the set keys over the family's") {
  Settings s;
  apply_settings(s, json{{"steps", 4}, {"temperature", 0.5}, {"budget", 512}});
  infilld::engine::DecodeOptions family;
  family.steps = 32;
  family.top_k = 7;
  auto o = infilld::lsp::decode_options(s, family);
  CHECK(o.steps == 4);
  CHECK(o.temperature == doctest::Approx(0.5));
  CHECK(o.top_k == 7);  // not set: the family's
  apply_settings(s, json{{"steps", nullptr}, {"budget", nullptr}});
  CHECK_FALSE(s.steps);
  CHECK(s.budget == 2048);
  CHECK(infilld::lsp::decode_options(s, family).steps == 32);
}
