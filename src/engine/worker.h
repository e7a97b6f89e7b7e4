// The engine worker (DESIGN.md section 3): one thread owns the model and runs requests from
// a queue, first in first out, up to 8 at once in one DenoiseBatch (continuous batching):
// a request submitted while others run joins them at their next step, their forwards
// stacked in one pass per step, and each leaves as soon as it is done.
//
// Which thread may call what: submit() and the Ticket's cancel() from any thread; the
// callbacks (on_update, done) run on the worker thread, so a caller such as the LSP loop
// hands results to its own thread (uv_async_send) instead of touching its state there.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
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
  ~EngineWorker();  // cancels what is queued, runs the running requests to their end, joins
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  std::shared_ptr<Ticket> submit(InfillRequest request, Done done);

  // The denoising steps run so far, by how many requests took them together (index: the
  // batch's size, 1..kMaxBatch; index 0 unused). From any thread.
  static constexpr size_t kMaxBatch = 8;
  std::vector<uint64_t> steps_by_batch_size() const;

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
  std::array<std::atomic<uint64_t>, kMaxBatch + 1> steps_by_size_{};
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace infilld::engine
