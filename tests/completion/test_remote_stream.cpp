// A remote engine's streamed answer (completion/remote_stream.h): every kind's events read
// wherever the network splits them, and whatever else another server sends skipped, never
// thrown.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "completion/remote_stream.h"

using infilld::completion::remote_error_message;
using infilld::completion::RemoteStream;

namespace {

struct Read {
  std::string text, error;
  bool finished = false, stopped = false;
  std::vector<std::string> updates;
};

// `wire` fed in pieces of `piece` bytes (0: all at once), then ended.
Read read(const std::string& kind, const std::string& wire, size_t piece = 0) {
  Read r;
  RemoteStream stream(kind, [&](std::string text) { r.updates.push_back(std::move(text)); });
  if (piece == 0) piece = wire.size() + 1;
  for (size_t at = 0; at < wire.size(); at += piece) stream.feed(std::string_view(wire).substr(at, piece));
  stream.end();
  r.text = stream.text();
  r.error = stream.error();
  r.finished = stream.finished();
  r.stopped = stream.stopped();
  return r;
}

}  // namespace

TEST_CASE("remote stream: each kind's events, split anywhere, give the same text") {
  struct Case {
    std::string kind, wire, text;
    bool stopped;
  };
  const std::vector<Case> cases = {
      {"openai",
       "data: {\"choices\":[{\"text\":\"a + \",\"index\":0,\"finish_reason\":null}]}\n\n"
       ": keep-alive comment\n\n"
       "data: {\"choices\":[{\"text\":\"b\",\"index\":0,\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
       "a + b", true},
      {"infilld", "data:{\"choices\":[{\"text\":\"x\"}]}\r\n\r\ndata: {\"choices\":[{\"text\":\"y\",\"finish_reason\":\"length\"}]}\r\n",
       "xy", false},
      {"fim",
       "event: chunk\ndata: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"re\"}}]}\n\n"
       "data: {\"choices\":[{\"delta\":{\"content\":\"turn\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
       "return", true},
      {"llamacpp", "data: {\"content\":\"n \",\"stop\":false}\n\ndata: {\"content\":\"- 1\",\"stop\":true,\"stopped_eos\":true}\n\n",
       "n - 1", true},
      {"ollama", "{\"response\":\"if \",\"done\":false}\n{\"response\":\"n\",\"done\":false}\n{\"response\":\"\",\"done\":true,\"done_reason\":\"length\"}",
       "if n", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.kind);
    for (size_t piece : {size_t(0), size_t(1), size_t(2), size_t(7)}) {
      CAPTURE(piece);
      const Read r = read(c.kind, c.wire, piece);
      CHECK(r.text == c.text);
      CHECK(r.finished);
      CHECK(r.stopped == c.stopped);
      CHECK(r.error.empty());
      REQUIRE_FALSE(r.updates.empty());
      CHECK(r.updates.back() == c.text);
    }
  }
}

TEST_CASE("remote stream: members of the wrong type, odd JSON and deep nesting are skipped") {
  const std::string odd =
      "data: {\"choices\":[5]}\n"
      "data: {\"choices\":\"many\"}\n"
      "data: {\"choices\":[{\"text\":7,\"finish_reason\":3}]}\n"
      "data: {\"choices\":[{\"delta\":\"x\"}]}\n"
      "data: [1, 2]\n"
      "data: {not json\n"
      "data: " + std::string(100000, '[') + "\n"
      "data: {\"error\":null,\"choices\":[{\"text\":\"ok\"}]}\n";
  for (const char* kind : {"openai", "fim", "infilld"}) {
    CAPTURE(kind);
    const Read r = read(kind, odd);
    CHECK(r.text == "ok");
    CHECK_FALSE(r.finished);
    CHECK(r.error.empty());
  }
  const Read llama = read("llamacpp", "data: {\"content\":\"a\",\"stop\":\"yes\",\"stopped_eos\":1}\n");
  CHECK(llama.text == "a");
  CHECK_FALSE(llama.finished);  // "yes" is not true
  const Read ollama = read("ollama", "{\"response\":[\"a\"],\"done\":\"true\"}\n{\"response\":\"b\"}\n");
  CHECK(ollama.text == "b");
  CHECK_FALSE(ollama.finished);
}

TEST_CASE("remote stream: an error event is the error; an error answer's message is quoted") {
  const Read r = read("openai", "data: {\"choices\":[{\"text\":\"a\"}]}\ndata: {\"error\":{\"message\":\"overloaded\"}}\n");
  CHECK(r.error == "overloaded");
  CHECK(read("ollama", "{\"error\":\"model not found\"}\n").error == "model not found");
  CHECK(read("openai", "data: {\"error\":{\"code\":5}}\n").error == "{\"code\":5}");
  CHECK(remote_error_message("{\"error\":{\"message\":\"a valid API key is required\"}}") ==
        "a valid API key is required");
  CHECK(remote_error_message("{\"error\":\"busy\"}") == "busy");
  CHECK(remote_error_message("<html>502 Bad Gateway</html>") == "<html>502 Bad Gateway</html>");
  CHECK(remote_error_message(std::string(500, '[')).size() == 200);
}
