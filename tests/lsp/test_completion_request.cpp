#include <doctest/doctest.h>

#include <memory>

#include <nlohmann/json.hpp>
#include <uv.h>

#include "lsp/completion_request.h"
#include "lsp/stats.h"

using infilld::lsp::CompletionRequest;
using infilld::lsp::ReplyErrors;
using Kind = CompletionRequest::Kind;
using State = CompletionRequest::State;
using nlohmann::json;

namespace {

// trap = false: these cases break the reply-once promise on purpose to see it counted.
CompletionRequest make(ReplyErrors& errors, Kind kind = Kind::Inline, json id = 7) {
  return CompletionRequest(1, kind, kind == Kind::Speculative ? json(nullptr) : std::move(id), errors, false);
}

}  // namespace

TEST_CASE("completion request: waits, runs and is answered once") {
  ReplyErrors errors;
  CompletionRequest c = make(errors);
  CHECK(c.state() == State::InHand);
  CHECK(c.owes_reply());
  c.wait_for_model();
  CHECK(c.state() == State::WaitingForModel);
  c.take();
  auto ticket = std::make_shared<CompletionRequest::Ticket>();
  c.run(ticket);
  CHECK(c.in_engine());
  c.finish_run();
  CHECK(c.state() == State::InHand);
  CHECK_FALSE(ticket->cancelled());  // finished, not cancelled
  CHECK(c.answered());
  CHECK(c.state() == State::Answered);
  CHECK_FALSE(c.owes_reply());
  CHECK(errors.double_replies == 0);
  CHECK(errors.dropped == 0);
}

TEST_CASE("completion request: a reply while the engine has it cancels the engine's work") {
  ReplyErrors errors;
  CompletionRequest c = make(errors);
  auto ticket = std::make_shared<CompletionRequest::Ticket>();
  c.run(ticket);
  CHECK(c.answered());
  CHECK(ticket->cancelled());
}

TEST_CASE("completion request: a second reply is refused and counted") {
  ReplyErrors errors;
  CompletionRequest c = make(errors);
  CHECK(c.answered());
  CHECK_FALSE(c.answered());
  CHECK(errors.double_replies == 1);
  CHECK(errors.dropped == 0);
}

TEST_CASE("completion request: a request destroyed without its reply is counted as dropped") {
  ReplyErrors errors;
  { CompletionRequest c = make(errors); }
  CHECK(errors.dropped == 1);
  {  // moved: only the last owner owes the reply
    CompletionRequest a = make(errors);
    CompletionRequest b(std::move(a));
    CHECK(b.answered());
  }
  CHECK(errors.dropped == 1);
  CHECK(errors.double_replies == 0);
}

TEST_CASE("completion request: a speculative request owes no reply and refuses one") {
  ReplyErrors errors;
  {
    CompletionRequest s = make(errors, Kind::Speculative);
    CHECK(s.speculative());
    CHECK_FALSE(s.owes_reply());
    CHECK_FALSE(s.answered());
  }
  CHECK(errors.double_replies == 1);
  CHECK(errors.dropped == 0);  // erased without a reply: what speculative requests do
}

TEST_CASE("completion request: adopting a speculative request moves the client's reply onto it") {
  ReplyErrors errors;
  auto ticket = std::make_shared<CompletionRequest::Ticket>();
  CompletionRequest s = make(errors, Kind::Speculative);
  s.run(ticket);
  {
    CompletionRequest client = make(errors, Kind::Completion, "r1");
    client.selected = "sel";
    s.adopt(std::move(client));
  }
  CHECK(errors.dropped == 0);  // the client's record owes nothing once adopted
  CHECK(s.kind() == Kind::Completion);
  CHECK(s.id() == "r1");
  CHECK(s.selected == "sel");
  CHECK(s.in_engine());
  CHECK(s.owes_reply());
  s.finish_run();
  CHECK(s.answered());
  CHECK(errors.double_replies == 0);
}

TEST_CASE("completion request: erasing a running request cancels its engine work") {
  ReplyErrors errors;
  auto ticket = std::make_shared<CompletionRequest::Ticket>();
  {
    CompletionRequest s = make(errors, Kind::Speculative);
    s.run(ticket);
  }
  CHECK(ticket->cancelled());
}

TEST_CASE("completion request: debouncing holds the timer until the request is taken") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    ReplyErrors errors;
    CompletionRequest c = make(errors);
    bool fired = false;
    auto timer = std::make_unique<infilld::lsp::Timer>(&loop);
    timer->start(0, [&] {
      fired = true;
      c.take();  // destroys the timer inside its own callback
    });
    c.debounce(std::move(timer));
    CHECK(c.state() == State::Debouncing);
    CHECK(c.owes_reply());
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(fired);
    CHECK(c.state() == State::InHand);
    CHECK(c.answered());
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // the closed timer handle is freed
  CHECK(uv_loop_close(&loop) == 0);
}
