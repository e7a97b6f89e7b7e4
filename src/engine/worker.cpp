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
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has been answered
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.request.cancel = &job.ticket->cancelled_;
    job.done(denoise(model_, spec_, job.request));
  }
}

}  // namespace infilld::engine
