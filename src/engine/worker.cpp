#include "engine/worker.h"

namespace infilld::engine {

EngineWorker::EngineWorker(Denoisable& model, CanvasSpec spec)
    : model_(model), spec_(std::move(spec)), thread_([this] { loop(); }) {}

EngineWorker::~EngineWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (Job& job : queue_) job.ticket->cancel();
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<EngineWorker::Ticket> EngineWorker::submit(InfillRequest request, Done done) {
  auto ticket = std::make_shared<Ticket>();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(request), std::move(done), ticket});
  }
  wake_.notify_one();
  return ticket;
}

void EngineWorker::loop() {
  constexpr size_t kMaxBatch = 8;
  for (;;) {
    std::vector<Job> jobs;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has been answered
      // Everything pending runs together: its full forwards are batched.
      while (!queue_.empty() && jobs.size() < kMaxBatch) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<InfillRequest> requests;
    for (Job& job : jobs) {
      job.request.cancel = &job.ticket->cancelled_;
      requests.push_back(std::move(job.request));
    }
    if (jobs.size() == 1) {
      jobs[0].done(denoise(model_, spec_, requests[0]));
      continue;
    }
    auto results = denoise_batch(model_, spec_, requests);
    for (size_t i = 0; i < jobs.size(); ++i) jobs[i].done(std::move(results[i]));
  }
}

}  // namespace infilld::engine
