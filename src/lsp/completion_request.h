// One completion request on the language server, from its arrival to its one reply, as a
// state machine (docs/architecture.md, "Language server"):
//
//   InHand --wait_for_model()--> WaitingForModel --take()--> InHand
//   InHand --debounce(timer)---> Debouncing -----take()--> InHand      (the timer fired)
//   InHand --run(ticket)-------> Running --finish_run()--> InHand      (the engine's result)
//   InHand | WaitingForModel | Debouncing | Running --answered()--> Answered
//
// InHand is the loop thread holding the request between two of those waits (parsing,
// planning, post-processing): it never lasts past the callback that set it. The fields
// that belong to one state live in it: the debounce timer in Debouncing, the engine's
// ticket in Running; leaving the state releases them (a ticket left by a reply is
// cancelled, so the worker stops before its next step).
//
// Kinds: Inline (textDocument/inlineCompletion), Completion (textDocument/completion: a
// CompletionList reply) and Speculative (the server's own guess at the next suggestion: no
// client asked, no reply is owed, it ends by being erased). adopt() turns a speculative
// request into the client's request for the same context.
//
// Reply once (DESIGN.md section 3: every request gets exactly one reply): answered() is
// the gate every reply passes (Server::reply_completion); it returns false for a second
// reply, or a reply to a speculative request, and counts it in ReplyErrors::double_replies.
// A client's request destroyed before it was answered is counted in ReplyErrors::dropped.
// In debug and sanitizer builds either one also stops the process (trap): it is a bug in
// the server, never the client's doing.
//
// Which thread may call what: the loop thread only, like everything in the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "completion/backend.h"
#include "context/shape.h"
#include "context/text_edit.h"
#include "lsp/stats.h"
#include "lsp/uv_handles.h"

namespace infilld::context {
struct Language;
}

namespace infilld::lsp {

// Debug and sanitizer builds trap on a reply error; release builds count it and go on.
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kTrapReplyErrors = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kTrapReplyErrors = true;
#else
inline constexpr bool kTrapReplyErrors = false;
#endif
#else
inline constexpr bool kTrapReplyErrors = false;
#endif

class CompletionRequest {
 public:
  enum class Kind { Inline, Completion, Speculative };
  enum class State { InHand, WaitingForModel, Debouncing, Running, Answered };
  using Clock = std::chrono::steady_clock;
  using Ticket = completion::Ticket;

  // `id`: the client's request id (null for Speculative). `errors` (infilld/stats') outlives
  // the request; `trap`: abort on a reply error (tests of the counting turn it off).
  CompletionRequest(uint64_t serial, Kind kind, nlohmann::json id, ReplyErrors& errors, bool trap = kTrapReplyErrors);
  ~CompletionRequest();  // a client's request not answered: counted as dropped (and trapped)
  CompletionRequest(CompletionRequest&& other) noexcept;  // the moved-from one owes nothing
  CompletionRequest& operator=(CompletionRequest&&) = delete;
  CompletionRequest(const CompletionRequest&) = delete;
  CompletionRequest& operator=(const CompletionRequest&) = delete;

  uint64_t serial() const { return serial_; }
  Kind kind() const { return kind_; }
  bool speculative() const { return kind_ == Kind::Speculative; }
  const nlohmann::json& id() const { return id_; }  // null for Speculative
  State state() const { return static_cast<State>(state_.index()); }
  bool in_engine() const { return state() == State::Running; }
  // A client's request not answered yet.
  bool owes_reply() const { return !speculative() && state() != State::Answered; }

  // Transitions: each asserts where it comes from (a wrong one is a server bug).
  void wait_for_model();                         // InHand -> WaitingForModel
  void debounce(std::unique_ptr<Timer> timer);   // InHand -> Debouncing (the timer armed)
  void take();                                   // WaitingForModel | Debouncing -> InHand
  void run(std::shared_ptr<Ticket> ticket);      // InHand -> Running
  void finish_run();                             // Running -> InHand
  void cancel();  // Running: tells the worker to stop (the state stays until the reply)
  // A speculative request becomes `client` (the same context, asked for now): it takes the
  // client's kind, id, item range, selected text, version and arrival time, and owes the
  // reply; `client` is left owing nothing.
  void adopt(CompletionRequest&& client);
  // The reply gate: true (-> Answered) when a reply is owed; otherwise false, counted in
  // double_replies (and trapped): the caller must not send anything.
  bool answered();

  // The request's facts, set when it arrives (or adopted).
  std::string uri;
  int64_t version = 0;
  context::Range range;        // the item's range (the position, or the selected completion's range)
  std::string selected;        // selectedCompletionInfo.text: the item's insertText starts with it
  std::string prefix, suffix;  // the text before and after the cursor (the selected text applied)
  bool explicit_request = false;
  bool use_tree = true;        // the document's syntax tree matches prefix + suffix
  const context::Language* language = nullptr;
  Clock::time_point received = Clock::now();
  // Set by the plan (InHand, before run()).
  context::ShapeKind shape = context::ShapeKind::SingleLine;
  int64_t canvas = 0;          // the tokens the engine fills (the plan's max_tokens)
  std::string streamed;        // the text of the last infilld/completionUpdate

 private:
  struct InHand {};
  struct WaitingForModel {};
  struct Debouncing {
    std::unique_ptr<Timer> timer;
  };
  struct Running {
    std::shared_ptr<Ticket> ticket;
  };
  struct Answered {};
  // The alternatives in State's order: state() is the index.
  using Data = std::variant<InHand, WaitingForModel, Debouncing, Running, Answered>;

  void reply_error(int64_t ReplyErrors::*counter, const char* what) const;

  uint64_t serial_;
  Kind kind_;
  nlohmann::json id_;
  ReplyErrors* errors_;  // null once moved from
  bool trap_;
  Data state_;
};

const char* completion_state_name(CompletionRequest::State state);

}  // namespace infilld::lsp
