// A small fixed pool of worker threads for data-parallel CPU kernels.
//
// Which thread may call what: parallel_for is called by the engine worker thread only (the
// one that owns the model, DESIGN.md section 3); it blocks until every chunk is done. Calls
// are not reentrant: a chunk must not call parallel_for again.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
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
  // wake-up). The forward pass sets it (kernels/cpu/onednn.h size_team_for): all of them,
  // since the workers poll between the ops of a forward; tests set other sizes.
  void set_team(int n) { team_ = std::clamp(n, 1, size()); }

  // Splits [0, n) into contiguous chunks of at least `grain` items (up to 4 per thread) and
  // runs fn(begin, end) on each. Threads claim chunks one at a time, the caller too, so a
  // helper the OS has not scheduled yet (a busy machine) delays nothing: the caller takes
  // what is left. Workers spin briefly after a job before they sleep, so the matmuls of one
  // forward pass do not each pay a wake-up. If fn throws, no further chunk starts, the
  // ones running finish, and parallel_for rethrows the first exception.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // The process-wide pool used by the CPU kernels: one thread per core
  // (INFILLD_THREADS overrides).
  static ThreadPool& global();

 private:
  void worker_loop();
  // Claims and runs chunks of the job of `generation` until none is left or that job is
  // over. An exception from the job stops further claims; the caller rethrows it.
  void run_chunks(int64_t generation);

  std::vector<std::thread> workers_;
  int team_ = 1 << 30;  // clamped to size() where used
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_chunks_ = 0;
  int next_chunk_ = 0;   // the next chunk to claim, under mutex_
  int unfinished_ = 0;   // chunks claimed or not, not yet run to the end, under mutex_
  int helpers_ = 0;      // workers the job may use (team - 1), under mutex_
  std::exception_ptr failure_;  // the job's first exception, under mutex_
  std::atomic<int64_t> generation_{0};  // read without the lock by spinning workers
  bool stopping_ = false;
};

}  // namespace infilld
