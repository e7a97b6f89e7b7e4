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
  DenoiseBatch batch(model_, spec_);
  for (;;) {
    std::vector<Job> joining;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !batch.empty(); });
      if (queue_.empty() && batch.empty()) return;  // stopping, and every job has been answered
      // What is queued joins the running batch at its next step, up to the batch's size.
      while (!queue_.empty() && batch.size() + joining.size() < kMaxBatch) {
        joining.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (Job& job : joining) {
      job.request.cancel = &job.ticket->cancelled_;
      // The ticket stays alive (the request reads its flag) until the job is answered.
      batch.add(std::move(job.request), [done = std::move(job.done), ticket = job.ticket](Expected<InfillResult> r) {
        done(std::move(r));
      });
    }
    if (const size_t stepped = batch.round(); stepped > 0) ++steps_by_size_[std::min(stepped, kMaxBatch)];
  }
}

std::vector<uint64_t> EngineWorker::steps_by_batch_size() const {
  std::vector<uint64_t> counts;
  for (const auto& n : steps_by_size_) counts.push_back(n.load(std::memory_order_relaxed));
  return counts;
}

}  // namespace infilld::engine
