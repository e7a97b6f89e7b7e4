#include "lsp/mailbox.h"

#include "lsp/uv_handles.h"

namespace infilld::lsp {

Mailbox::Mailbox(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, [](uv_async_t* a) {
    if (auto* self = static_cast<Mailbox*>(a->data)) self->drain();
  });
  async_->data = this;
}

Mailbox::~Mailbox() { close(); }

void Mailbox::post(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (async_ == nullptr) return;
  queue_.push_back(std::move(work));
  uv_async_send(async_);  // thread-safe; sends coalesce
}

void Mailbox::drain() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mutex_);
    work.swap(queue_);
  }
  for (auto& w : work) w();
}

void Mailbox::close() {
  uv_async_t* async = nullptr;
  {
    std::lock_guard lock(mutex_);
    std::swap(async, async_);
    queue_.clear();
  }
  if (async != nullptr) {
    async->data = nullptr;
    close_handle(async);
  }
}

}  // namespace infilld::lsp
