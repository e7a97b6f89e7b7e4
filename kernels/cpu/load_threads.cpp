#include "kernels/cpu/load_threads.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace infilld::kernels {

void on_load_threads(int64_t n, int64_t bytes, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  const int64_t n_threads = std::clamp<int64_t>(std::min(bytes >> 20, n), 1, cores);
  std::vector<std::thread> threads;
  for (int64_t i = 1; i < n_threads; ++i) threads.emplace_back(fn, n * i / n_threads, n * (i + 1) / n_threads);
  fn(0, n / n_threads);
  for (std::thread& t : threads) t.join();
}

}  // namespace infilld::kernels
