#include <doctest/doctest.h>

#include <string>

#include "lsp/message.h"

using infilld::lsp::ErrorCode;
using infilld::lsp::Message;
using infilld::lsp::parse_message;
using infilld::lsp::RpcError;
using nlohmann::json;

namespace {

Message ok(std::string_view body) {
  auto r = parse_message(body);
  if (const auto* e = std::get_if<RpcError>(&r)) FAIL_CHECK("unexpected error: " << e->message);
  REQUIRE(std::holds_alternative<Message>(r));
  return std::get<Message>(std::move(r));
}

RpcError bad(std::string_view body) {
  auto r = parse_message(body);
  REQUIRE(std::holds_alternative<RpcError>(r));
  return std::get<RpcError>(std::move(r));
}

}  // namespace

TEST_CASE("message: requests") {
  Message m = ok(R"({"jsonrpc":"2.0","id":1,"method":"textDocument/completion","params":{"a":1}})");
  CHECK(m.kind == Message::Request);
  CHECK(m.id == 1);
  CHECK(m.method == "textDocument/completion");
  CHECK(m.params == json{{"a", 1}});
  m = ok(R"({"jsonrpc":"2.0","id":"abc","method":"shutdown"})");
  CHECK(m.kind == Message::Request);
  CHECK(m.id == "abc");
  CHECK(m.params.is_null());
  m = ok(R"({"jsonrpc":"2.0","id":0,"method":"x","params":[1,2]})");
  CHECK(m.params == json::array({1, 2}));
  m = ok(R"({"jsonrpc":"2.0","id":-7,"method":"x","params":null})");
  CHECK(m.params.is_null());
}

TEST_CASE("message: notifications") {
  Message m = ok(R"({"jsonrpc":"2.0","method":"initialized","params":{}})");
  CHECK(m.kind == Message::Notification);
  CHECK(m.id.is_null());
  CHECK(m.method == "initialized");
  CHECK(m.params == json::object());
  m = ok(R"({"method":"exit","jsonrpc":"2.0"})");
  CHECK(m.kind == Message::Notification);
}

TEST_CASE("message: responses with result and with error") {
  Message m = ok(R"({"jsonrpc":"2.0","id":3,"result":{"items":[]}})");
  CHECK(m.kind == Message::Response);
  CHECK(m.id == 3);
  CHECK(m.result == json{{"items", json::array()}});
  CHECK(!m.error);
  m = ok(R"({"jsonrpc":"2.0","id":"s","result":null})");
  CHECK(m.kind == Message::Response);
  CHECK(m.result.is_null());
  CHECK(!m.error);
  m = ok(R"({"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"nope","data":[1]}})");
  CHECK(m.kind == Message::Response);
  REQUIRE(m.error);
  CHECK((*m.error)["code"] == -32601);
  CHECK((*m.error)["data"] == json::array({1}));
  m = ok(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  CHECK(m.id.is_null());
  REQUIRE(m.error);
}

TEST_CASE("message: invalid JSON is ParseError") {
  for (std::string_view body : {"", "{", "{\"jsonrpc\":\"2.0\",}", "nul", "{\"a\":1} x",
                                "{\"s\":\"\xff\"}"}) {
    CAPTURE(body);
    const RpcError e = bad(body);
    CHECK(e.code == ErrorCode::ParseError);
    CHECK(e.id.is_null());
  }
}

TEST_CASE("message: batch arrays and non-objects are InvalidRequest") {
  RpcError e = bad(R"([{"jsonrpc":"2.0","id":1,"method":"x"}])");
  CHECK(e.code == ErrorCode::InvalidRequest);
  CHECK(e.message.find("batch") != std::string::npos);
  CHECK(bad("[]").code == ErrorCode::InvalidRequest);
  CHECK(bad("42").code == ErrorCode::InvalidRequest);
  CHECK(bad("\"x\"").code == ErrorCode::InvalidRequest);
  CHECK(bad("{}").code == ErrorCode::InvalidRequest);
}

TEST_CASE("message: wrong jsonrpc version") {
  for (std::string_view body : {R"({"id":1,"method":"x"})", R"({"jsonrpc":"1.0","id":1,"method":"x"})",
                                R"({"jsonrpc":2.0,"id":1,"method":"x"})"}) {
    CAPTURE(body);
    const RpcError e = bad(body);
    CHECK(e.code == ErrorCode::InvalidRequest);
    CHECK(e.id == 1);  // the id is kept so the error response can be matched
    CHECK(e.message.find("jsonrpc") != std::string::npos);
  }
}

TEST_CASE("message: bad id types") {
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":1.5,"method":"x"})",
                                R"({"jsonrpc":"2.0","id":true,"method":"x"})",
                                R"({"jsonrpc":"2.0","id":[1],"method":"x"})",
                                R"({"jsonrpc":"2.0","id":{},"result":1})",
                                R"({"jsonrpc":"2.0","id":null,"method":"x"})",
                                R"({"jsonrpc":"2.0","id":null,"result":1})"}) {
    CAPTURE(body);
    const RpcError e = bad(body);
    CHECK(e.code == ErrorCode::InvalidRequest);
    CHECK(e.id.is_null());
  }
}

TEST_CASE("message: params, method and response shape") {
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":9,"method":"x","params":1})",
                                R"({"jsonrpc":"2.0","id":9,"method":"x","params":"s"})",
                                R"({"jsonrpc":"2.0","id":9,"method":"x","params":true})",
                                R"({"jsonrpc":"2.0","id":9,"method":5})",
                                R"({"jsonrpc":"2.0","id":9,"method":"x","result":1})",
                                R"({"jsonrpc":"2.0","id":9})",
                                R"({"jsonrpc":"2.0","id":9,"result":1,"error":{"code":1,"message":"m"}})",
                                R"({"jsonrpc":"2.0","id":9,"error":"boom"})",
                                R"({"jsonrpc":"2.0","id":9,"error":{"message":"m"}})",
                                R"({"jsonrpc":"2.0","id":9,"error":{"code":1}})"}) {
    CAPTURE(body);
    const RpcError e = bad(body);
    CHECK(e.code == ErrorCode::InvalidRequest);
    CHECK(e.id == 9);
  }
  CHECK(bad(R"({"jsonrpc":"2.0","params":{}})").code == ErrorCode::InvalidRequest);
  CHECK(bad(R"({"jsonrpc":"2.0","method":"x","params":3})").id.is_null());
}

TEST_CASE("message: builders") {
  CHECK(infilld::lsp::make_response(1, json{{"a", 1}}) ==
        json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"a":1}})"));
  CHECK(infilld::lsp::make_response("x", nullptr) ==
        json::parse(R"({"jsonrpc":"2.0","id":"x","result":null})"));
  CHECK(infilld::lsp::make_error(2, ErrorCode::MethodNotFound, "no such method") ==
        json::parse(R"({"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"no such method"}})"));
  CHECK(infilld::lsp::make_error(nullptr, ErrorCode::RequestCancelled, "c", json{{"k", 1}}) ==
        json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32800,"message":"c","data":{"k":1}}})"));
  CHECK(infilld::lsp::make_notification("exit") == json::parse(R"({"jsonrpc":"2.0","method":"exit"})"));
  CHECK(infilld::lsp::make_notification("m", json::array({1})) ==
        json::parse(R"({"jsonrpc":"2.0","method":"m","params":[1]})"));
  CHECK(infilld::lsp::make_request(7, "shutdown") ==
        json::parse(R"({"jsonrpc":"2.0","id":7,"method":"shutdown"})"));
  const json req = infilld::lsp::make_request("r1", "textDocument/hover", json{{"p", 1}});
  const Message m = ok(req.dump());
  CHECK(m.kind == Message::Request);
  CHECK(m.id == "r1");
  CHECK(m.params == json{{"p", 1}});
  const RpcError e = bad("{");
  const json resp = infilld::lsp::make_error(e);
  CHECK(resp["error"]["code"] == -32700);
  CHECK(ok(resp.dump()).kind == Message::Response);
  CHECK(static_cast<int>(ErrorCode::ServerNotInitialized) == -32002);
  CHECK(static_cast<int>(ErrorCode::UnknownErrorCode) == -32001);
  CHECK(static_cast<int>(ErrorCode::ContentModified) == -32801);
  CHECK(static_cast<int>(ErrorCode::InvalidParams) == -32602);
  CHECK(static_cast<int>(ErrorCode::InternalError) == -32603);
}
