// The engine worker (DESIGN.md section 3): one thread owns the model and runs requests from
// a queue, first in first out. Requests pending together (up to 8) run together: their full
// forwards go through one batched forward per step (denoise_batch).
//
// Which thread may call what: submit() and the Ticket's cancel() from any thread; the
// callbacks (on_update, done) run on the worker thread, so a caller such as the LSP loop
// hands results to its own thread (uv_async_send) instead of touching its state there.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/denoise/denoiser.h"

namespace infilld::engine {

class EngineWorker {
 public:
  // A submitted request: cancel() makes it return before its next step (or skips it if it
  // has not started); the done callback still runs exactly once, with FinishReason::Cancelled.
  class Ticket {
   public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

   private:
    friend class EngineWorker;
    std::atomic<bool> cancelled_{false};
  };
  using Done = std::function<void(Expected<InfillResult>)>;

  // `model` must outlive the worker; only the worker thread calls it after this.
  EngineWorker(Denoisable& model, CanvasSpec spec);
  ~EngineWorker();  // cancels what is queued, finishes the running request, joins
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  std::shared_ptr<Ticket> submit(InfillRequest request, Done done);

 private:
  struct Job {
    InfillRequest request;
    Done done;
    std::shared_ptr<Ticket> ticket;
  };
  void loop();

  Denoisable& model_;
  const CanvasSpec spec_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace infilld::engine
