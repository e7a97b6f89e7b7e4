#include "lsp/outbox.h"

namespace infilld::lsp {

void Outbox::push(std::string framed, Kind kind) {
  const size_t size = framed.size();
  if (kind == Kind::Reply) {
    reply_bytes_ += size;
    replies_.push_back({next_seq_++, std::move(framed)});
    return;
  }
  if (size > max_notification_bytes_) {  // bigger than the whole allowance: only it goes
    ++dropped_;
    return;
  }
  notification_bytes_ += size;
  notifications_.push_back({next_seq_++, std::move(framed)});
  while (notification_bytes_ > max_notification_bytes_) {
    notification_bytes_ -= notifications_.front().framed.size();
    notifications_.pop_front();
    ++dropped_;
  }
}

std::vector<std::string> Outbox::take(size_t max_bytes) {
  std::vector<std::string> batch;
  size_t bytes = 0;
  while (!empty()) {
    // The older of the two queues' heads goes first.
    const bool reply = notifications_.empty() ||
                       (!replies_.empty() && replies_.front().seq < notifications_.front().seq);
    std::deque<Entry>& queue = reply ? replies_ : notifications_;
    const size_t size = queue.front().framed.size();
    if (!batch.empty() && bytes + size > max_bytes) break;
    bytes += size;
    (reply ? reply_bytes_ : notification_bytes_) -= size;
    batch.push_back(std::move(queue.front().framed));
    queue.pop_front();
  }
  return batch;
}

}  // namespace infilld::lsp
