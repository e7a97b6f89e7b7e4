// JSON-RPC 2.0 messages as LSP uses them: classification of a received body and builders
// for outgoing messages.
//
// parse_message() returns a ParseResult, a std::variant<Message, RpcError>:
//   const ParseResult r = parse_message(body);
//   if (const auto* e = std::get_if<RpcError>(&r)) send(make_error(*e));  // for requests
//   else handle(std::get<Message>(r));
// RpcError carries the JSON-RPC code (ParseError for invalid JSON, InvalidRequest for
// anything else that is not a valid LSP message) and the message's id when one could be
// read (null otherwise), so the error response can be built from it directly. Never throws.
//
// Rules: the body must be a JSON object (batch arrays are InvalidRequest: LSP does not use
// them); "jsonrpc" must be "2.0"; an id is an integer or a string (LSP: integer | string);
// a message with "method" (a string) is a Request when it has an id and a Notification
// when it has none, and must not carry "result" or "error"; "params", when present, is an
// object or an array ("params": null is read as absent); a message without "method" is a
// Response: it has an "id" (which may be null only in an error response, the answer to a
// request whose id could not be read) and exactly one of "result" and "error", the error an
// object with an integer "code" and a string "message".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace infilld::lsp {

enum class ErrorCode : int {
  // JSON-RPC 2.0
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  // LSP
  ServerNotInitialized = -32002,
  UnknownErrorCode = -32001,
  RequestFailed = -32803,
  ServerCancelled = -32802,
  ContentModified = -32801,
  RequestCancelled = -32800,
};

struct Message {
  enum Kind { Request, Notification, Response };
  Kind kind = Notification;
  nlohmann::json id;      // Request, Response; null for a Notification
  std::string method;     // Request, Notification
  nlohmann::json params;  // Request, Notification; null when absent
  nlohmann::json result;  // Response without error (may itself be null)
  std::optional<nlohmann::json> error;  // Response with error: {"code", "message", "data"?}
};

struct RpcError {
  ErrorCode code = ErrorCode::InvalidRequest;
  std::string message;
  nlohmann::json id;  // the offending message's id when it could be read, else null
};

using ParseResult = std::variant<Message, RpcError>;

ParseResult parse_message(std::string_view body);

nlohmann::json make_response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json make_error(const nlohmann::json& id, ErrorCode code, std::string message,
                          std::optional<nlohmann::json> data = {});
// The error response for a message parse_message() rejected.
nlohmann::json make_error(const RpcError& error);
// "params" is left out when null.
nlohmann::json make_notification(std::string method, nlohmann::json params = nullptr);
nlohmann::json make_request(const nlohmann::json& id, std::string method,
                            nlohmann::json params = nullptr);

}  // namespace infilld::lsp
