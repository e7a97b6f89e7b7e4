#include "lsp/completion_request.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

namespace infilld::lsp {

CompletionRequest::CompletionRequest(uint64_t serial, Kind kind, nlohmann::json id, ReplyErrors& errors, bool trap)
    : serial_(serial), kind_(kind), id_(std::move(id)), errors_(&errors), trap_(trap) {
  assert(speculative() == id_.is_null());
}

CompletionRequest::CompletionRequest(CompletionRequest&& other) noexcept
    : uri(std::move(other.uri)),
      version(other.version),
      range(other.range),
      selected(std::move(other.selected)),
      prefix(std::move(other.prefix)),
      suffix(std::move(other.suffix)),
      explicit_request(other.explicit_request),
      use_tree(other.use_tree),
      language(other.language),
      received(other.received),
      shape(other.shape),
      canvas(other.canvas),
      streamed(std::move(other.streamed)),
      serial_(other.serial_),
      kind_(other.kind_),
      id_(std::move(other.id_)),
      errors_(std::exchange(other.errors_, nullptr)),
      trap_(other.trap_),
      state_(std::move(other.state_)) {}

CompletionRequest::~CompletionRequest() {
  // While an exception unwinds, the dispatcher answers the request InternalError itself.
  if (errors_ != nullptr && owes_reply() && std::uncaught_exceptions() == 0)
    reply_error(&ReplyErrors::dropped, "erased without a reply");
  cancel();  // a request erased while the engine has it: the worker stops before its next step
}

void CompletionRequest::reply_error(int64_t ReplyErrors::*counter, const char* what) const {
  if (errors_ == nullptr) return;
  ++(errors_->*counter);
  if (!trap_) return;
  std::fprintf(stderr, "infilld: bug: completion request %s (serial %llu, state %s) %s\n",
               id_.dump().c_str(), static_cast<unsigned long long>(serial_), completion_state_name(state()), what);
  std::abort();
}

void CompletionRequest::wait_for_model() {
  assert(state() == State::InHand);
  state_ = WaitingForModel{};
}

void CompletionRequest::debounce(std::unique_ptr<Timer> timer) {
  assert(state() == State::InHand && timer != nullptr);
  state_ = Debouncing{std::move(timer)};
}

void CompletionRequest::take() {
  assert(state() == State::WaitingForModel || state() == State::Debouncing);
  // Debouncing: the timer is destroyed inside its own callback, which Timer allows.
  state_ = InHand{};
}

void CompletionRequest::run(std::shared_ptr<Ticket> ticket) {
  assert(state() == State::InHand && ticket != nullptr);
  state_ = Running{std::move(ticket)};
}

void CompletionRequest::finish_run() {
  assert(state() == State::Running);
  state_ = InHand{};
}

void CompletionRequest::cancel() {
  if (auto* running = std::get_if<Running>(&state_); running != nullptr && running->ticket != nullptr)
    running->ticket->cancel();
}

void CompletionRequest::adopt(CompletionRequest&& client) {
  assert(speculative() && !client.speculative() && client.owes_reply());
  kind_ = client.kind_;
  id_ = client.id_;
  range = client.range;
  selected = client.selected;
  version = client.version;
  received = client.received;
  client.errors_ = nullptr;  // its reply is this one's now
}

bool CompletionRequest::answered() {
  if (!owes_reply()) {
    reply_error(&ReplyErrors::double_replies,
                speculative() ? "is speculative: nothing to reply to" : "was answered already");
    return false;
  }
  cancel();  // a reply while the engine still has it: the worker stops before its next step
  state_ = Answered{};
  return true;
}

const char* completion_state_name(CompletionRequest::State state) {
  switch (state) {
    case CompletionRequest::State::InHand: return "in hand";
    case CompletionRequest::State::WaitingForModel: return "waiting for the model";
    case CompletionRequest::State::Debouncing: return "debouncing";
    case CompletionRequest::State::Running: return "running";
    case CompletionRequest::State::Answered: return "answered";
  }
  return "?";
}

}  // namespace infilld::lsp
