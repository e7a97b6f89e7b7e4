// The server's outgoing messages between the moment they are sent and the moment the
// transport hands them to the client's pipe (docs/lsp.md, "Floods and slow clients").
//
// A client that stops reading its input fills the pipe, and then everything the server
// says waits here. The outbox keeps that bounded without ever losing an answer:
//   - notifications (status, progress, log messages) are droppable: past
//     kMaxNotificationBytes the oldest are dropped first, and counted;
//   - replies and the server's own requests are never dropped. Past kPauseBytes of them
//     the transport stops reading the client's input, until they are down to kResumeBytes:
//     a client that sends without reading is held back by its own full pipe, so nothing it
//     sends can make the server queue more than that.
// Messages leave in the order they were sent (minus the dropped ones).
//
// Which thread may call what: one thread (the loop's); it knows no libuv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace infilld::lsp {

class Outbox {
 public:
  static constexpr size_t kMaxNotificationBytes = size_t{1} << 20;  // 1 MiB
  static constexpr size_t kPauseBytes = size_t{4} << 20;            // replies: stop reading above
  static constexpr size_t kResumeBytes = size_t{1} << 20;           // ... and start again below
  static constexpr size_t kBatchBytes = size_t{256} << 10;          // one write gathers up to this

  enum class Kind { Reply, Notification };

  explicit Outbox(size_t max_notification_bytes = kMaxNotificationBytes, size_t pause_bytes = kPauseBytes,
                  size_t resume_bytes = kResumeBytes)
      : max_notification_bytes_(max_notification_bytes), pause_bytes_(pause_bytes), resume_bytes_(resume_bytes) {}

  // Queues one framed message; may drop the oldest notifications (a notification bigger
  // than the whole allowance is dropped itself).
  void push(std::string framed, Kind kind);
  // The oldest queued messages, in sending order, up to `max_bytes` in all (at least one
  // when any is queued); they leave the outbox.
  std::vector<std::string> take(size_t max_bytes = kBatchBytes);

  bool empty() const { return replies_.empty() && notifications_.empty(); }
  size_t queued_bytes() const { return reply_bytes_ + notification_bytes_; }
  size_t queued_reply_bytes() const { return reply_bytes_; }
  int64_t dropped_notifications() const { return dropped_; }
  // Reading should stop (too many replies wait) / may start again.
  bool should_pause() const { return reply_bytes_ > pause_bytes_; }
  bool may_resume() const { return reply_bytes_ <= resume_bytes_; }

 private:
  struct Entry {
    uint64_t seq;
    std::string framed;
  };

  size_t max_notification_bytes_, pause_bytes_, resume_bytes_;
  std::deque<Entry> replies_;
  std::deque<Entry> notifications_;
  size_t reply_bytes_ = 0;
  size_t notification_bytes_ = 0;
  uint64_t next_seq_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace infilld::lsp
