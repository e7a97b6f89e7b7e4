#include <doctest/doctest.h>

#include <atomic>
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
