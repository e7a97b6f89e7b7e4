// Work handed to the loop thread from other threads (the engine worker, the model loader):
// post() queues a function and wakes the loop (uv_async_send); the loop runs everything
// queued, in order. Wake-ups coalesce, so the loop drains the whole queue each time.
//
// Which thread may call what: post() from any thread; the constructor, close() and the
// destructor on the loop thread. After close(), post() drops its function.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include <uv.h>

namespace infilld::lsp {

class Mailbox {
 public:
  explicit Mailbox(uv_loop_t* loop);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  void post(std::function<void()> work);
  void close();  // stops accepting work and releases the async handle (the loop may then end)

 private:
  void drain();

  std::mutex mutex_;
  std::vector<std::function<void()>> queue_;
  uv_async_t* async_ = nullptr;  // null once closed
};

}  // namespace infilld::lsp
