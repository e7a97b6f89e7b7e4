#include "lsp/protocol.h"

namespace infilld::lsp {

namespace {

std::string describe(const json& v) { return describe_json(v, 40); }

std::string path(std::string_view where, const char* key) { return std::string(where) + "." + key; }

}  // namespace

std::string describe_json(const json& value, size_t max_chars) {
  std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > max_chars && max_chars > 3) s = s.substr(0, max_chars - 3) + "...";
  return s;
}

Expected<const json*> member(const json& object, std::string_view where, const char* key) {
  if (!object.is_object()) return error(where, ": expected an object, found ", describe(object));
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return error(path(where, key), ": missing");
  return &*it;
}

const json* optional_member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Expected<std::string> read_string(const json& object, std::string_view where, const char* key) {
  auto v = member(object, where, key);
  if (!v) return v.error();
  if (!(*v)->is_string()) return error(path(where, key), ": expected a string, found ", describe(**v));
  return (*v)->get<std::string>();
}

Expected<int64_t> read_integer(const json& object, std::string_view where, const char* key) {
  auto v = member(object, where, key);
  if (!v) return v.error();
  if (!(*v)->is_number_integer() || ((*v)->is_number_unsigned() && (*v)->get<uint64_t>() > uint64_t(INT64_MAX)))
    return error(path(where, key), ": expected an integer, found ", describe(**v));
  return (*v)->get<int64_t>();
}

Expected<context::Position> read_position(const json& value, std::string_view where) {
  auto line = read_integer(value, where, "line");
  if (!line) return line.error();
  auto character = read_integer(value, where, "character");
  if (!character) return character.error();
  if (*line < 0) return error(where, ".line: expected a non-negative integer, found ", *line);
  if (*character < 0) return error(where, ".character: expected a non-negative integer, found ", *character);
  return context::Position{*line, *character};
}

Expected<context::Range> read_range(const json& value, std::string_view where) {
  auto start = member(value, where, "start");
  if (!start) return start.error();
  auto s = read_position(**start, path(where, "start"));
  if (!s) return s.error();
  auto end = member(value, where, "end");
  if (!end) return end.error();
  auto e = read_position(**end, path(where, "end"));
  if (!e) return e.error();
  return context::Range{*s, *e};
}

Expected<std::string> read_document_uri(const json& params) {
  auto document = member(params, "params", "textDocument");
  if (!document) return document.error();
  return read_string(**document, "params.textDocument", "uri");
}

Expected<context::TextEdit> read_content_change(const json& value, std::string_view where) {
  context::TextEdit edit;
  auto text = read_string(value, where, "text");
  if (!text) return text.error();
  edit.text = std::move(*text);
  if (const json* range = optional_member(value, "range")) {
    auto r = read_range(*range, path(where, "range"));
    if (!r) return r.error();
    edit.range = *r;
  }
  return edit;
}

Expected<CompletionParams> read_completion_params(const json& params) {
  CompletionParams out;
  auto uri = read_document_uri(params);
  if (!uri) return uri.error();
  out.uri = std::move(*uri);
  auto position = member(params, "params", "position");
  if (!position) return position.error();
  auto p = read_position(**position, "params.position");
  if (!p) return p.error();
  out.position = *p;
  const json* context = optional_member(params, "context");
  if (context == nullptr) return out;
  if (!context->is_object()) return error("params.context: expected an object, found ", describe(*context));
  out.has_context = true;
  if (optional_member(*context, "triggerKind") != nullptr) {
    auto kind = read_integer(*context, "params.context", "triggerKind");
    if (!kind) return kind.error();
    out.trigger_kind = *kind;
  }
  if (const json* selected = optional_member(*context, "selectedCompletionInfo")) {
    const char* where = "params.context.selectedCompletionInfo";
    auto range = member(*selected, where, "range");
    if (!range) return range.error();
    auto r = read_range(**range, path(where, "range"));
    if (!r) return r.error();
    auto text = read_string(*selected, where, "text");
    if (!text) return text.error();
    out.selected = CompletionParams::Selected{*r, std::move(*text)};
  }
  return out;
}

json to_json(const context::Position& p) { return {{"line", p.line}, {"character", p.character}}; }
json to_json(const context::Range& r) { return {{"start", to_json(r.start)}, {"end", to_json(r.end)}}; }

std::optional<context::PositionEncoding> parse_position_encoding(std::string_view name) {
  if (name == "utf-8") return context::PositionEncoding::Utf8;
  if (name == "utf-16") return context::PositionEncoding::Utf16;
  if (name == "utf-32") return context::PositionEncoding::Utf32;
  return std::nullopt;
}

std::string_view position_encoding_name(context::PositionEncoding e) {
  switch (e) {
    case context::PositionEncoding::Utf8: return "utf-8";
    case context::PositionEncoding::Utf16: return "utf-16";
    case context::PositionEncoding::Utf32: return "utf-32";
  }
  return "utf-16";
}

context::PositionEncoding negotiate_position_encoding(const json& capabilities) {
  const json* general = optional_member(capabilities, "general");
  const json* offered = general ? optional_member(*general, "positionEncodings") : nullptr;
  if (offered != nullptr && offered->is_array())
    for (const json& e : *offered)
      if (e.is_string())
        if (auto encoding = parse_position_encoding(e.get<std::string>())) return *encoding;
  return context::PositionEncoding::Utf16;
}

}  // namespace infilld::lsp
