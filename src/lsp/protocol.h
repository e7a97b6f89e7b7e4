// LSP structures read from and written to JSON: positions, ranges, text document
// identifiers, content changes, position encodings. Readers check every field's presence
// and type and return an error naming the field ("params.position.line: expected a
// non-negative integer, found \"3\""), which the server sends back as InvalidParams.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "context/text_edit.h"

namespace infilld::lsp {

using nlohmann::json;

// A JSON value as an error message quotes it: compact, cut to `max_chars` with "...".
std::string describe_json(const json& value, size_t max_chars);

// `where` is the field's path for messages, e.g. "params.textDocument".
Expected<const json*> member(const json& object, std::string_view where, const char* key);  // required
const json* optional_member(const json& object, const char* key);                           // null when absent or null
Expected<std::string> read_string(const json& object, std::string_view where, const char* key);
Expected<int64_t> read_integer(const json& object, std::string_view where, const char* key);
Expected<context::Position> read_position(const json& value, std::string_view where);
Expected<context::Range> read_range(const json& value, std::string_view where);
// params.textDocument.uri
Expected<std::string> read_document_uri(const json& params);
// A didChange content change: {range?, text}.
Expected<context::TextEdit> read_content_change(const json& value, std::string_view where);

// The params of textDocument/inlineCompletion and textDocument/completion, checked for shape
// and type only: whether the document is open and the positions lie in it is the server's
// business (it has the document).
struct CompletionParams {
  struct Selected {  // context.selectedCompletionInfo: the item's insertText starts with `text`
    context::Range range;
    std::string text;
  };
  std::string uri;                      // textDocument.uri
  context::Position position;
  bool has_context = false;             // context present (an inline completion always has one)
  std::optional<int64_t> trigger_kind;  // context.triggerKind: 1 Invoked (explicit), 2 Automatic
  std::optional<Selected> selected;     // context.selectedCompletionInfo
};
Expected<CompletionParams> read_completion_params(const json& params);

json to_json(const context::Position& p);
json to_json(const context::Range& r);

std::optional<context::PositionEncoding> parse_position_encoding(std::string_view name);  // "utf-8"...
std::string_view position_encoding_name(context::PositionEncoding e);
// The encoding to use given the client's general.positionEncodings (its preference order).
context::PositionEncoding negotiate_position_encoding(const json& client_capabilities);

}  // namespace infilld::lsp
