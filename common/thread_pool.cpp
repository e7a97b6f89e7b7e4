#include "common/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>

namespace infilld {

namespace {

// A polite busy-wait step (the PAUSE instruction on x86).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// The [begin, end) of chunk `i` out of `chunks` over n items.
std::pair<int64_t, int64_t> chunk_range(int64_t n, int chunks, int i) {
  return {n * i / chunks, n * (i + 1) / chunks};
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < std::max(1, n_threads); ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int team = std::min(team_, size());
  const int chunks = static_cast<int>(std::clamp<int64_t>(n / std::max<int64_t>(grain, 1), 1, 4 * team));
  if (chunks == 1 || team == 1) {
    fn(0, n);
    return;
  }
  int64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    job_chunks_ = chunks;
    next_chunk_ = 0;
    unfinished_ = chunks;
    failure_ = nullptr;
    helpers_ = team - 1;
    generation = generation_.fetch_add(1) + 1;
  }
  wake_.notify_all();
  run_chunks(generation);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return unfinished_ == 0; });
  job_ = nullptr;
  if (failure_ != nullptr) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void ThreadPool::run_chunks(int64_t generation) {
  for (;;) {
    const std::function<void(int64_t, int64_t)>* job = nullptr;
    int64_t n = 0;
    int chunks = 0;
    int i = 0;
    {
      std::lock_guard lock(mutex_);
      if (generation_.load() != generation || job_ == nullptr || next_chunk_ >= job_chunks_) return;
      job = job_;
      n = job_n_;
      chunks = job_chunks_;
      i = next_chunk_++;
    }
    auto [b, e] = chunk_range(n, chunks, i);
    std::exception_ptr failure;
    try {
      (*job)(b, e);
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (failure != nullptr) {
      if (failure_ == nullptr) failure_ = failure;
      unfinished_ -= job_chunks_ - next_chunk_;  // the chunks nobody will claim now
      next_chunk_ = job_chunks_;
    }
    if (--unfinished_ == 0) done_.notify_one();
  }
}

void ThreadPool::worker_loop() {
  // How long a worker polls for the next job before it sleeps: a forward pass of a small
  // model issues its matmuls a few tens of microseconds apart, and a futex wake-up costs
  // about as much as one of them (AMD EPYC Zen 3, docs/decisions.md, "The thread pool").
  constexpr auto kSpin = std::chrono::microseconds(50);
  int64_t seen = 0;
  for (;;) {
    const auto spin_end = std::chrono::steady_clock::now() + kSpin;
    for (int i = 1; generation_.load(std::memory_order_acquire) == seen; ++i) {
      cpu_relax();
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= spin_end) break;  // the clock now and then
    }
    int64_t generation = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_.load() != seen; });
      if (stopping_) return;
      generation = seen = generation_.load();
      if (helpers_ == 0) continue;  // enough workers on this job already
      --helpers_;
    }
    run_chunks(generation);
  }
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("INFILLD_THREADS")) {
      int n = std::atoi(env);
      if (n > 0) return n;
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }());
  return pool;
}

}  // namespace infilld
