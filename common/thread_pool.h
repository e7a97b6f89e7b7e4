// A small fixed pool of worker threads for data-parallel CPU kernels.
//
// Which thread may call what: parallel_for is called by the engine worker thread only (the
// one that owns the model, DESIGN.md section 3); it blocks until every chunk is done. Calls
// are not reentrant: a chunk must not call parallel_for again.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace infilld {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // How many of the threads parallel_for may use from now on (1: the caller alone, no
  // wake-up). The forward pass sets it for its work (kernels/cpu/onednn.h size_team_for),
  // so a small model's step does not pay a wake-up per op on an idle machine.
  void set_team(int n) { team_ = std::clamp(n, 1, size()); }

  // Splits [0, n) into at most size() contiguous chunks of at least `grain` items and runs
  // fn(begin, end) on each, the calling thread taking the first chunk.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // The process-wide pool used by the CPU kernels: one thread per core
  // (INFILLD_THREADS overrides).
  static ThreadPool& global();

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  int team_ = 1 << 30;  // clamped to size() where used
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_chunks_ = 0;
  int64_t generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

}  // namespace infilld
