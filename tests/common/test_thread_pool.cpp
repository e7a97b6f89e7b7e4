#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/thread_pool.h"

TEST_CASE("thread pool: covers every index exactly once, call after call") {
  infilld::ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 5, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    for (int round = 0; round < 20; ++round)
      pool.parallel_for(n, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i]++;
      });
    for (auto& h : hits) CHECK(h.load() == 20);
  }
}

TEST_CASE("thread pool: the caller runs the chunks a slow helper has not claimed") {
  // The helper's first chunk waits (up to 5 s) until the caller has run all the others:
  // with chunks claimed one at a time the caller takes them; with one fixed chunk per
  // thread it would run only its own, and the helper would time out.
  infilld::ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  std::mutex mutex;
  std::condition_variable changed;
  int by_caller = 0, by_helper = 0;
  std::vector<std::atomic<int>> hits(8);
  pool.parallel_for(8, 1, [&](int64_t b, int64_t e) {
    std::unique_lock lock(mutex);
    if (std::this_thread::get_id() == caller) {
      by_caller += static_cast<int>(e - b);
      changed.notify_all();
    } else {
      changed.wait_for(lock, std::chrono::seconds(5), [&] { return by_caller + by_helper + (e - b) == 8; });
      by_helper += static_cast<int>(e - b);
    }
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  CHECK(by_caller + by_helper == 8);
  CHECK(by_helper <= 1);  // the helper ran at most the one chunk it held
  for (auto& h : hits) CHECK(h.load() == 1);
}

TEST_CASE("thread pool: an exception from a chunk reaches the caller, and the pool goes on") {
  infilld::ThreadPool pool(2);
  std::atomic<int> ran{0};
  CHECK_THROWS_AS(pool.parallel_for(8, 1,
                                    [&](int64_t b, int64_t) {
                                      ran++;
                                      if (b == 2) throw std::runtime_error("chunk 2");
                                    }),
                  std::runtime_error);
  CHECK(ran.load() <= 8);
  std::vector<std::atomic<int>> hits(100);
  pool.parallel_for(100, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) CHECK(h.load() == 1);
}
