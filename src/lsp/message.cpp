#include "lsp/message.h"

#include <utility>

namespace infilld::lsp {
namespace {

using nlohmann::json;

bool valid_id(const json& id) { return id.is_number_integer() || id.is_string(); }

RpcError invalid(std::string message, const json& id = nullptr) {
  return RpcError{ErrorCode::InvalidRequest, "Invalid request: " + std::move(message), id};
}

}  // namespace

ParseResult parse_message(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return RpcError{ErrorCode::ParseError, "Parse error: the message body is not valid JSON",
                    nullptr};
  if (j.is_array()) return invalid("batch arrays are not supported (LSP does not use them)");
  if (!j.is_object()) return invalid(std::string("expected a JSON object, found ") + j.type_name());

  const auto id_it = j.find("id");
  const bool has_id = id_it != j.end();
  const json known_id = has_id && valid_id(*id_it) ? *id_it : json(nullptr);

  const auto version = j.find("jsonrpc");
  if (version == j.end() || !version->is_string() || *version != "2.0")
    return invalid("\"jsonrpc\" must be \"2.0\"", known_id);
  if (has_id && !id_it->is_null() && !valid_id(*id_it))
    return invalid(std::string("\"id\" must be an integer or a string, found ") +
                   id_it->type_name());

  Message m;
  const auto method = j.find("method");
  if (method != j.end()) {
    if (!method->is_string()) return invalid("\"method\" must be a string", known_id);
    if (has_id && id_it->is_null())
      return invalid("a request's \"id\" must be an integer or a string, not null");
    if (j.contains("result") || j.contains("error"))
      return invalid("a message with \"method\" must not have \"result\" or \"error\"", known_id);
    m.kind = has_id ? Message::Request : Message::Notification;
    m.id = known_id;
    m.method = method->get<std::string>();
    const auto params = j.find("params");
    if (params != j.end() && !params->is_null()) {
      if (!params->is_object() && !params->is_array())
        return invalid(std::string("\"params\" must be an object or an array, found ") +
                           params->type_name(),
                       known_id);
      m.params = std::move(*params);
    }
    return m;
  }

  // A response.
  if (!has_id) return invalid("a message needs \"method\" (request, notification) or \"id\" (response)");
  const auto result = j.find("result");
  const auto err = j.find("error");
  if ((result != j.end()) == (err != j.end()))
    return invalid("a response must have exactly one of \"result\" and \"error\"", known_id);
  m.kind = Message::Response;
  m.id = known_id;
  if (result != j.end()) {
    if (id_it->is_null())
      return invalid("a response with a null \"id\" must be an error response");
    m.result = std::move(*result);
    return m;
  }
  if (!err->is_object()) return invalid("\"error\" must be an object", known_id);
  const auto code = err->find("code");
  const auto text = err->find("message");
  if (code == err->end() || !code->is_number_integer())
    return invalid("\"error.code\" must be an integer", known_id);
  if (text == err->end() || !text->is_string())
    return invalid("\"error.message\" must be a string", known_id);
  m.error = std::move(*err);
  return m;
}

json make_response(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, ErrorCode code, std::string message, std::optional<json> data) {
  json error{{"code", static_cast<int>(code)}, {"message", std::move(message)}};
  if (data) error["data"] = std::move(*data);
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json make_error(const RpcError& error) { return make_error(error.id, error.code, error.message); }

json make_notification(std::string method, json params) {
  json out{{"jsonrpc", "2.0"}, {"method", std::move(method)}};
  if (!params.is_null()) out["params"] = std::move(params);
  return out;
}

json make_request(const json& id, std::string method, json params) {
  json out{{"jsonrpc", "2.0"}, {"id", id}, {"method", std::move(method)}};
  if (!params.is_null()) out["params"] = std::move(params);
  return out;
}

}  // namespace infilld::lsp
