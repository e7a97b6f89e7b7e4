// The one settings table (completion/settings.h): the language server's keys, the CLI's
// flags and the docs all come from it.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "completion/settings.h"

using infilld::completion::apply_flag;
using infilld::completion::apply_settings;
using infilld::completion::Settings;
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
  auto o = infilld::completion::decode_options(s, family);
  CHECK(o.steps == 4);
  CHECK(o.temperature == doctest::Approx(0.5));
  CHECK(o.top_k == 7);  // not set: the family's
  apply_settings(s, json{{"steps", nullptr}, {"budget", nullptr}});
  CHECK_FALSE(s.steps);
  CHECK(s.budget == 2048);
  CHECK(infilld::completion::decode_options(s, family).steps == 32);
}

TEST_CASE("settings: every key reads back what it was given, and changes are named") {
  const json given = {{"model", "/m"}, {"device", "cpu"}, {"quantize", "q8"}, {"budget", 512},
                      {"prefixShare", 0.5}, {"snippetShare", 0.0}, {"debounceMs", 30}, {"maxTokens", 16},
                      {"deadlineMs", 200}, {"streaming", true}, {"speculative", false}, {"cacheSize", 8},
                      {"maxDocumentBytes", 4096}, {"steps", 4}, {"blockLength", 8}, {"maxLength", 64},
                      {"topK", 5}, {"seed", 7}, {"alg", "margin"}, {"schedule", "even"}, {"cache", "dual"},
                      {"threshold", 0.9}, {"factor", 1.5}, {"temperature", 0.5}, {"topP", 0.8}, {"eps", 0.01},
                      {"backend", {{"kind", "openai"}, {"url", "http://h:1/v1"}, {"model", "m"}, {"apiKeyEnv", "K"},
                                   {"timeoutMs", 500}, {"caFile", "/ca"}, {"headers", json::object()}}}};
  Settings s;
  const json defaults = infilld::completion::settings_json(s);
  REQUIRE(defaults.size() == infilld::completion::setting_docs().size());
  CHECK(defaults["steps"].is_null());
  CHECK(defaults["budget"] == 2048);
  REQUIRE(apply_settings(s, given).errors.empty());
  CHECK(infilld::completion::settings_json(s) == given);  // every key, so no key reads back another's field
  Settings t;
  apply_settings(t, infilld::completion::settings_json(s));
  CHECK(infilld::completion::settings_json(t) == given);

  Settings u;
  apply_settings(u, json{{"budget", 1024}, {"alg", "entropy"}});
  const auto changes = infilld::completion::describe_changes(Settings{}, u);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0] == "budget 1024 (was 2048)");
  CHECK(changes[1] == "alg \"entropy\" (was null)");
  CHECK(infilld::completion::describe_changes(u, u).empty());
}

TEST_CASE("settings: the backend object is checked member by member and replaces the previous one") {
  Settings s;
  auto ok = apply_settings(s, json{{"backend", {{"url", "http://127.0.0.1:8080"}, {"headers", {{"X-Team", "a"}}}}}});
  REQUIRE(ok.errors.empty());
  CHECK(s.backend.kind == "infilld");  // a url without a kind: another infilld
  CHECK(s.backend.remote());
  CHECK(s.backend.timeout_ms == 30000);
  REQUIRE(s.backend.headers.size() == 1);
  CHECK(s.backend.headers[0] == std::pair<std::string, std::string>{"X-Team", "a"});
  // Header values never read back (they may be keys): their length only.
  CHECK(infilld::completion::settings_json(s)["backend"]["headers"]["X-Team"] == "(1 characters)");
  // Each bad member is named, and the whole previous object is kept.
  const std::pair<json, std::string> bad[] = {
      {json{{"kind", "grpc"}, {"url", "http://h"}}, "member \"kind\": expected one of \"local\", \"infilld\""},
      {json{{"kind", "openai"}}, "member \"url\": kind \"openai\" needs an http:// or https:// URL"},
      {json{{"url", "ftp://h"}}, "member \"url\""},
      {json{{"url", "http://h"}, {"timeoutMs", 0}}, "member \"timeoutMs\": expected an integer 1..3600000, found 0"},
      {json{{"url", "http://h"}, {"headers", {{"X-A", "1\r\nX-B: 2"}}}}, "member \"headers\": header \"X-A\""},
      {json{{"url", "http://h"}, {"headers", {{"Bad Name", "1"}}}}, "header \"Bad Name\""},
      {json{{"url", "http://h"}, {"headers", {{"Authorization", ""}}}}, "header \"Authorization\""},
      {json{{"url", "http://h"}, {"headers", {{"X-\tTab", "1"}}}}, "header \"X-\tTab\""},
      {json{{"url", "http://h"}, {"token", "k"}}, "member \"token\": not a backend member"},
      {json{{"url", 5}}, "member \"url\": expected a string, found 5"},
      {json("http://h"), "expected an object"},
  };
  for (const auto& [value, message] : bad) {
    auto report = apply_settings(s, json{{"backend", value}});
    REQUIRE(report.errors.size() == 1);
    CHECK_MESSAGE(report.errors[0].find(message) != std::string::npos, report.errors[0]);
    CHECK(s.backend.url == "http://127.0.0.1:8080");
    CHECK(s.backend.headers.size() == 1);
  }
  // A new object replaces the old one whole: members left out take their defaults.
  REQUIRE(apply_settings(s, json{{"backend", {{"kind", "ollama"}, {"url", "http://o:11434"}}}}).errors.empty());
  CHECK(s.backend.headers.empty());
  const auto changes = infilld::completion::describe_changes(Settings{}, s);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].find("backend {") == 0);
  CHECK(changes[0].find("\"url\":\"http://o:11434\"") != std::string::npos);  // whole, not cut short
  CHECK(changes[0].find("(was {") != std::string::npos);
  REQUIRE(apply_settings(s, json{{"backend", {{"kind", "local"}}}}).errors.empty());
  CHECK_FALSE(s.backend.remote());
  apply_settings(s, json{{"backend", {{"url", "http://h"}}}});
  apply_settings(s, json{{"backend", nullptr}});
  CHECK(s.backend == infilld::completion::BackendSettings{});
  // A user and password in the URL are used, never read back.
  REQUIRE(apply_settings(s, json{{"backend", {{"url", "https://me:secret@gpu-box:8443/v1?x=@"}}}}).errors.empty());
  CHECK(s.backend.url == "https://me:secret@gpu-box:8443/v1?x=@");
  CHECK(infilld::completion::settings_json(s)["backend"]["url"] == "https://gpu-box:8443/v1?x=@");
  CHECK(infilld::completion::url_without_userinfo("http://h:1/a@b") == "http://h:1/a@b");
  CHECK(infilld::completion::url_without_userinfo("not a url") == "not a url");
}

TEST_CASE("settings: a flag reads its value through the same key, with the same ranges and messages") {
  Settings s;
  CHECK(apply_flag(s, "max-tokens", "24").is_ok());
  CHECK(s.max_tokens == 24);
  CHECK(apply_flag(s, "temperature", "0.7").is_ok());
  CHECK(*s.temperature == doctest::Approx(0.7));
  CHECK(apply_flag(s, "alg", "margin").is_ok());
  CHECK(*s.alg == infilld::engine::Policy::Margin);
  CHECK(apply_flag(s, "seed", "18446744073709551615").message().find("--seed: expected an integer >= 0") == 0);
  // The flag's error names the flag, what it expected and what it found; the value stays.
  const auto budget = apply_flag(s, "budget", "abc");
  REQUIRE_FALSE(budget.is_ok());
  CHECK(budget.message() == "--budget: expected an integer 64..131072, found \"abc\"");
  CHECK(s.budget == 2048);
  CHECK(apply_flag(s, "max-tokens", "1025").message() == "--max-tokens: expected an integer 0..1024, found 1025");
  CHECK(apply_flag(s, "max-tokens", "2.5").message() == "--max-tokens: expected an integer 0..1024, found 2.5");
  CHECK(apply_flag(s, "temperature", "1e500").message() == "--temperature: expected a number 0..100, found \"1e500\"");
  CHECK(apply_flag(s, "top-p", "").message() == "--top-p: expected a number 0..1, found \"\"");
  CHECK(s.max_tokens == 24);
  // Server-only keys are not flags.
  CHECK_FALSE(apply_flag(s, "debounce-ms", "5").is_ok());
  CHECK_FALSE(apply_flag(s, "debounceMs", "5").is_ok());
}

TEST_CASE("settings: every key is documented once, in docs/lsp.md's table and in complete --help") {
  std::set<std::string> keys, flags;
  for (const auto& d : infilld::completion::setting_docs()) {
    CHECK_MESSAGE(keys.insert(std::string(d.key)).second, "key " << d.key << " twice");
    if (!d.flag.empty()) CHECK_MESSAGE(flags.insert(std::string(d.flag)).second, "flag " << d.flag << " twice");
    CHECK_FALSE(d.accepts.empty());
    CHECK_FALSE(d.doc.empty());
    CHECK_FALSE(d.default_text.empty());
  }
  CHECK(keys.size() >= 20);
  // docs/lsp.md holds exactly the table's rows, in its order.
  std::ifstream in(std::string(INFILLD_SOURCE_DIR) + "/docs/lsp.md");
  REQUIRE(in);
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = 0;
  for (const std::string& row : infilld::completion::settings_markdown_rows()) {
    const size_t found = docs.find(row + "\n", at);
    CHECK_MESSAGE(found != std::string::npos, "docs/lsp.md lacks (or misorders) the row\n" << row);
    if (found != std::string::npos) at = found + row.size();
  }
  // complete --help names every flag with its key and range.
  const std::string help = infilld::completion::settings_help();
  for (const auto& d : infilld::completion::setting_docs()) {
    if (d.flag.empty()) continue;
    CHECK_MESSAGE(help.find("--" + std::string(d.flag) + " (" + std::string(d.key) + ")") != std::string::npos, d.flag);
    CHECK(help.find(d.accepts) != std::string::npos);
  }
}
