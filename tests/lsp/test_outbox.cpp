#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lsp/outbox.h"

using infilld::lsp::Outbox;
using Kind = Outbox::Kind;

namespace {

std::vector<std::string> drain(Outbox& out) {
  std::vector<std::string> all;
  while (!out.empty())
    for (std::string& s : out.take()) all.push_back(std::move(s));
  return all;
}

}  // namespace

TEST_CASE("outbox: messages leave in the order they were sent, replies and notifications mixed") {
  Outbox out;
  out.push("r1", Kind::Reply);
  out.push("n1", Kind::Notification);
  out.push("n2", Kind::Notification);
  out.push("r2", Kind::Reply);
  out.push("n3", Kind::Notification);
  CHECK(out.queued_bytes() == 10);
  CHECK(out.queued_reply_bytes() == 4);
  CHECK(drain(out) == std::vector<std::string>{"r1", "n1", "n2", "r2", "n3"});
  CHECK(out.queued_bytes() == 0);
  CHECK(out.dropped_notifications() == 0);
}

TEST_CASE("outbox: a batch stops at its byte limit but always carries at least one message") {
  Outbox out;
  out.push(std::string(10, 'a'), Kind::Reply);
  out.push(std::string(10, 'b'), Kind::Notification);
  out.push(std::string(10, 'c'), Kind::Reply);
  auto first = out.take(25);
  CHECK(first.size() == 2);
  auto big = Outbox();
  big.push(std::string(100, 'x'), Kind::Reply);
  CHECK(big.take(10).size() == 1);  // bigger than the limit: sent alone
  CHECK(out.take(25).size() == 1);
  CHECK(out.empty());
}

TEST_CASE("outbox: past the allowance the oldest notifications are dropped, never a reply") {
  Outbox out(/*max_notification_bytes=*/10, /*pause_bytes=*/1000, /*resume_bytes=*/100);
  out.push("reply-1", Kind::Reply);
  for (int i = 0; i < 8; ++i) out.push("n" + std::to_string(i), Kind::Notification);  // 2 bytes each
  out.push("reply-2", Kind::Reply);
  CHECK(out.dropped_notifications() == 3);  // 16 bytes of notifications, 10 allowed: n0..n2 go
  CHECK(drain(out) == std::vector<std::string>{"reply-1", "n3", "n4", "n5", "n6", "n7", "reply-2"});
  // A notification bigger than the whole allowance is dropped itself, and only it.
  out.push("n8", Kind::Notification);
  out.push(std::string(11, 'z'), Kind::Notification);
  CHECK(out.dropped_notifications() == 4);
  CHECK(drain(out) == std::vector<std::string>{"n8"});
}

TEST_CASE("outbox: replies beyond the pause mark ask the reader to pause, until they drain below the resume mark") {
  Outbox out(/*max_notification_bytes=*/10, /*pause_bytes=*/30, /*resume_bytes=*/10);
  for (int i = 0; i < 3; ++i) out.push(std::string(10, 'r'), Kind::Reply);
  CHECK_FALSE(out.should_pause());  // 30 is not past 30
  for (int i = 0; i < 5; ++i) out.push(std::string(5, 'n'), Kind::Notification);
  CHECK_FALSE(out.should_pause());  // notifications never pause reading: they are dropped instead
  out.push(std::string(10, 'r'), Kind::Reply);
  CHECK(out.should_pause());
  CHECK(out.queued_reply_bytes() == 40);
  out.take(20);  // two replies (the notifications are younger than the first three replies)
  CHECK_FALSE(out.may_resume());
  out.take(10);
  CHECK(out.queued_reply_bytes() == 10);
  CHECK(out.may_resume());
}
