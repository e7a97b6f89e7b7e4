// A remote engine's streamed answer read as its bytes arrive (completion/remote_backend.h):
// server-sent events (`data: {...}` lines, `data: [DONE]`) or NDJSON (Ollama: one object per
// line), split into lines wherever the network split them, each event's text taken from
// where its kind puts it. Anything else on the wire (comments, event names, malformed JSON,
// members of the wrong type) is skipped, never thrown: the bytes come from another server.
//
// Which thread may call what: one thread at a time (the transfer's).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace infilld::completion {

class RemoteStream {
 public:
  // `kind`: infilld, openai, fim, llamacpp or ollama (NDJSON); `on_update` (may be empty)
  // gets the text so far each time it grows.
  RemoteStream(std::string kind, std::function<void(std::string)> on_update);

  void feed(std::string_view bytes);
  void end();  // the transfer ended: a last line without its line break is read

  const std::string& text() const { return text_; }
  bool finished() const { return finished_; }  // the remote said it ended ([DONE], a finish reason, done)
  bool stopped() const { return stopped_; }    // ... by itself (a stop), not at the length limit
  const std::string& error() const { return error_; }  // an error event's message; empty: none

 private:
  void line(std::string_view l);

  const std::string kind_;
  const bool ndjson_;
  const std::function<void(std::string)> on_update_;
  std::string pending_;  // bytes not yet split into lines
  std::string text_;
  bool finished_ = false, stopped_ = false;
  std::string error_;
};

// The message of an error answer's "error" member ({"error": {"message": ...}} or
// {"error": "..."}), or the start of the body.
std::string remote_error_message(std::string_view body);

}  // namespace infilld::completion
