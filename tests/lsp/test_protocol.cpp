#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "completion/plan.h"
#include "lsp/protocol.h"
#include "lsp/stats.h"

using namespace infilld::lsp;
using infilld::context::PositionEncoding;
using infilld::completion::printable_prefix;
using nlohmann::json;

TEST_CASE("protocol: positions and ranges are read with errors that name the field") {
  auto p = read_position(json{{"line", 3}, {"character", 7}}, "params.position");
  REQUIRE(p);
  CHECK(p->line == 3);
  CHECK(p->character == 7);
  auto wrong = read_position(json{{"line", "3"}, {"character", 7}}, "params.position");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.message() == "params.position.line: expected an integer, found \"3\"");
  auto negative = read_position(json{{"line", 0}, {"character", -1}}, "params.position");
  REQUIRE_FALSE(negative);
  CHECK(negative.message().find("params.position.character") != std::string::npos);
  CHECK(read_position(json{{"line", 1}}, "p").message() == "p.character: missing");
  CHECK(read_position(json("x"), "p").message().find("p: expected an object") == 0);
  auto r = read_range(json{{"start", {{"line", 0}, {"character", 1}}}, {"end", {{"line", 2}, {"character", 0}}}}, "r");
  REQUIRE(r);
  CHECK(r->end.line == 2);
  CHECK(to_json(*r) == json{{"start", {{"line", 0}, {"character", 1}}}, {"end", {{"line", 2}, {"character", 0}}}});
  CHECK(read_document_uri(json{{"textDocument", {{"uri", 5}}}}).message() ==
        "params.textDocument.uri: expected a string, found 5");
}

TEST_CASE("protocol: position encoding follows the client's preference among those we speak") {
  CHECK(negotiate_position_encoding(json::object()) == PositionEncoding::Utf16);
  CHECK(negotiate_position_encoding(json{{"general", {{"positionEncodings", {"utf-32", "utf-8"}}}}}) ==
        PositionEncoding::Utf32);
  CHECK(negotiate_position_encoding(json{{"general", {{"positionEncodings", {"latin-1", "utf-8"}}}}}) ==
        PositionEncoding::Utf8);
  CHECK(negotiate_position_encoding(json{{"general", {{"positionEncodings", 3}}}}) == PositionEncoding::Utf16);
}

TEST_CASE("completion plan: the printable start of a middle stops at control bytes and broken UTF-8") {
  CHECK(printable_prefix("a\tb\nc") == "a\tb\nc");
  CHECK(printable_prefix("x = \"é€😀\"") == "x = \"é€😀\"");
  CHECK(printable_prefix("ab\x01" "cd") == "ab");
  CHECK(printable_prefix("ab\xC3") == "ab");          // cut inside a character
  CHECK(printable_prefix("ab\xC0\xAF") == "ab");      // overlong
  CHECK(printable_prefix("ab\xED\xA0\x80") == "ab");  // a surrogate
  CHECK(printable_prefix("ab\x7f") == "ab");
}

TEST_CASE("stats: percentiles interpolate between ranks") {
  CHECK(percentile({}, 50) == 0.0);
  CHECK(percentile({5.0}, 99) == 5.0);
  CHECK(percentile({1, 2, 3, 4, 5}, 50) == doctest::Approx(3.0));
  CHECK(percentile({1, 2, 3, 4, 5}, 95) == doctest::Approx(4.8));
  Stats s;
  s.record_latency(10);
  s.record_latency(20);
  const json j = s.to_json(PendingCounts{});
  CHECK(j["latencyMs"]["count"] == 2);
  CHECK(j["latencyMs"]["p50"].get<double>() == doctest::Approx(15.0));
}

TEST_CASE("protocol: completion params are read with errors that name the field") {
  const json pos = {{"line", 2}, {"character", 5}};
  const json doc = {{"uri", "file:///a.cpp"}};
  auto bare = read_completion_params(json{{"textDocument", doc}, {"position", pos}});
  REQUIRE(bare);
  CHECK(bare->uri == "file:///a.cpp");
  CHECK(bare->position.line == 2);
  CHECK(bare->position.character == 5);
  CHECK_FALSE(bare->has_context);
  CHECK_FALSE(bare->trigger_kind);
  CHECK_FALSE(bare->selected);

  const json selected = {{"range", {{"start", {{"line", 2}, {"character", 1}}}, {"end", pos}}}, {"text", "ab"}};
  auto full = read_completion_params(
      json{{"textDocument", doc}, {"position", pos}, {"context", {{"triggerKind", 1}, {"selectedCompletionInfo", selected}}}});
  REQUIRE(full);
  CHECK(full->has_context);
  CHECK(full->trigger_kind == 1);
  REQUIRE(full->selected);
  CHECK(full->selected->range.start.character == 1);
  CHECK(full->selected->text == "ab");

  auto message = [&](const json& params) { return read_completion_params(params).message(); };
  CHECK(message(json{{"position", pos}}) == "params.textDocument: missing");
  CHECK(message(json{{"textDocument", doc}}) == "params.position: missing");
  CHECK(message(json{{"textDocument", doc}, {"position", pos}, {"context", 3}}) ==
        "params.context: expected an object, found 3");
  CHECK(message(json{{"textDocument", doc}, {"position", pos}, {"context", {{"triggerKind", "1"}}}}) ==
        "params.context.triggerKind: expected an integer, found \"1\"");
  CHECK(message(json{{"textDocument", doc},
                     {"position", pos},
                     {"context", {{"selectedCompletionInfo", {{"text", "ab"}}}}}}) ==
        "params.context.selectedCompletionInfo.range: missing");
  CHECK(message(json{{"textDocument", doc},
                     {"position", pos},
                     {"context", {{"selectedCompletionInfo", {{"range", selected["range"]}, {"text", 4}}}}}}) ==
        "params.context.selectedCompletionInfo.text: expected a string, found 4");
  CHECK(message(json{{"textDocument", doc},
                     {"position", pos},
                     {"context", {{"selectedCompletionInfo", {{"range", {{"start", pos}}}, {"text", "ab"}}}}}}) ==
        "params.context.selectedCompletionInfo.range.end: missing");
}
