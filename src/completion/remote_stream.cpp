#include "completion/remote_stream.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace infilld::completion {

namespace {

using nlohmann::json;

// One event's text and whether it says the model ended.
struct Piece {
  std::string text;
  bool finished = false, stopped = false;
  std::string error;
};

std::string string_member(const json& v, const char* key) {
  if (!v.is_object()) return {};
  const auto it = v.find(key);
  return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool true_member(const json& v, const char* key) {
  const auto it = v.find(key);
  return it != v.end() && it->is_boolean() && it->get<bool>();
}

std::string error_text(const json& err) {
  if (err.is_string()) return err.get<std::string>();
  if (std::string m = string_member(err, "message"); !m.empty()) return m;
  return err.dump(-1, ' ', false, json::error_handler_t::replace);
}

Piece read_event(const std::string& kind, const json& e) {
  Piece p;
  if (const auto err = e.find("error"); err != e.end() && !err->is_null()) {
    p.error = error_text(*err);
    if (p.error.empty()) p.error = "an error without a message";
    return p;
  }
  if (kind == "llamacpp") {
    p.text = string_member(e, "content");
    p.finished = true_member(e, "stop");
    p.stopped = p.finished && true_member(e, "stopped_eos");
  } else if (kind == "ollama") {
    p.text = string_member(e, "response");
    p.finished = true_member(e, "done");
    p.stopped = p.finished && string_member(e, "done_reason") == "stop";
  } else if (const auto choices = e.find("choices"); choices != e.end() && choices->is_array() && !choices->empty()) {
    const json& c = choices->front();
    const auto delta = c.is_object() ? c.find("delta") : c.end();
    p.text = kind == "fim" && delta != c.end() ? string_member(*delta, "content") : string_member(c, "text");
    if (const std::string reason = string_member(c, "finish_reason"); !reason.empty()) {
      p.finished = true;
      p.stopped = reason == "stop";
    }
  }
  return p;
}

}  // namespace

RemoteStream::RemoteStream(std::string kind, std::function<void(std::string)> on_update)
    : kind_(std::move(kind)), ndjson_(kind_ == "ollama"), on_update_(std::move(on_update)) {}

void RemoteStream::feed(std::string_view bytes) {
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
    line(std::string_view(pending_).substr(start, nl - start));
  pending_.erase(0, start);
}

void RemoteStream::end() {
  if (pending_.empty()) return;
  const std::string last = std::move(pending_);
  pending_.clear();
  line(last);
}

void RemoteStream::line(std::string_view l) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (!ndjson_) {
    if (l.substr(0, 5) != "data:") return;  // SSE comments, event names, blank separators
    l.remove_prefix(5);
    while (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    if (l == "[DONE]") return void(finished_ = true);
  }
  if (l.empty() || json_nests_deeper_than(l, 64)) return;  // nothing, or a stack's worth of nesting
  const json e = json::parse(l, nullptr, false);
  if (e.is_discarded() || !e.is_object()) return;
  const Piece p = read_event(kind_, e);
  if (!p.error.empty()) return void(error_ = p.error);
  if (!p.text.empty()) {
    text_ += p.text;
    if (on_update_) on_update_(text_);
  }
  if (p.finished) {
    finished_ = true;
    stopped_ = stopped_ || p.stopped;
  }
}

std::string remote_error_message(std::string_view body) {
  if (json_nests_deeper_than(body, 64)) return std::string(body.substr(0, 200));
  const json e = json::parse(body, nullptr, false);
  if (!e.is_discarded() && e.is_object())
    if (const auto err = e.find("error"); err != e.end()) return error_text(*err);
  return std::string(body.substr(0, 200));
}

}  // namespace infilld::completion
