// RAII for libuv handles (DESIGN.md section 8, rule 5). A uv handle must be closed with
// uv_close and may only be freed in its close callback, after the loop has let go of it:
// close_handle() does both. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <uv.h>

namespace infilld::lsp {

// Closes `handle` (allocated with new as T) and deletes it once libuv is done with it.
template <typename T>
void close_handle(T* handle) {
  if (handle == nullptr) return;
  auto* h = reinterpret_cast<uv_handle_t*>(handle);
  if (uv_is_closing(h)) return;
  uv_close(h, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
}

// A one-shot timer: start() (re)arms it; the callback runs on the loop thread unless the
// timer is stopped or destroyed first.
class Timer {
 public:
  explicit Timer(uv_loop_t* loop) : handle_(new uv_timer_t) {
    uv_timer_init(loop, handle_);
    handle_->data = this;
  }
  ~Timer() {
    uv_timer_stop(handle_);
    handle_->data = nullptr;
    close_handle(handle_);
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(uint64_t ms, std::function<void()> fire) {
    fire_ = std::move(fire);
    uv_timer_start(handle_, [](uv_timer_t* t) {
      if (auto* self = static_cast<Timer*>(t->data)) {
        auto callback = std::move(self->fire_);  // it may destroy the timer
        callback();
      }
    }, ms, 0);
  }
  void stop() { uv_timer_stop(handle_); }

 private:
  uv_timer_t* handle_;
  std::function<void()> fire_;
};

// A watch on a folder (inotify on Linux): the callback runs on the loop thread for each
// change of the folder or of a file in it, with the file's name when libuv gives one. A
// folder renamed away keeps being watched under its new name (the watch follows the inode):
// watch the path again after such a change to follow what now has the name.
class FolderWatch {
 public:
  using OnChange = std::function<void(std::string name)>;

  explicit FolderWatch(uv_loop_t* loop) : handle_(new uv_fs_event_t) {
    uv_fs_event_init(loop, handle_);
    handle_->data = this;
  }
  ~FolderWatch() {
    uv_fs_event_stop(handle_);
    handle_->data = nullptr;
    close_handle(handle_);
  }
  FolderWatch(const FolderWatch&) = delete;
  FolderWatch& operator=(const FolderWatch&) = delete;

  // (Re)starts watching `path`; a libuv error code when it cannot (0: watching).
  int start(const std::string& path, OnChange on_change) {
    uv_fs_event_stop(handle_);
    on_change_ = std::move(on_change);
    return uv_fs_event_start(handle_, [](uv_fs_event_t* h, const char* name, int, int status) {
      auto* self = static_cast<FolderWatch*>(h->data);
      if (self != nullptr && status == 0 && self->on_change_) self->on_change_(name != nullptr ? name : "");
    }, path.c_str(), 0);
  }
  void stop() { uv_fs_event_stop(handle_); }

 private:
  uv_fs_event_t* handle_;
  OnChange on_change_;
};

}  // namespace infilld::lsp
