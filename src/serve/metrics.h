// What `infilld serve` counts, for GET /metrics in Prometheus's text format: requests by
// endpoint and outcome, requests waiting and running, forwards, tokens, a latency
// histogram and the engine's batch sizes (steps by how many requests took them together).
// Every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace infilld::serve {

class Metrics {
 public:
  // One request ended: its endpoint ("/v1/completions"), outcome ("ok", "bad_request",
  // "unauthorized", "overloaded", "unavailable", "cancelled", "error") and seconds.
  void request(const std::string& endpoint, const std::string& outcome, double seconds);
  void engine_run(int64_t forwards, int64_t prompt_tokens, int64_t completion_tokens);

  std::atomic<int64_t> waiting{0};  // admitted, waiting for a slot
  std::atomic<int64_t> running{0};  // in the engine

  // `steps_by_batch_size`: the engine's (CompletionBackend::steps_by_batch_size).
  std::string prometheus_text(const std::vector<uint64_t>& steps_by_batch_size = {}) const;

  // The histogram's upper bounds, in seconds (then +Inf).
  static constexpr std::array<double, 10> kBuckets = {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, int64_t> requests_;
  std::array<int64_t, kBuckets.size() + 1> latency_counts_{};
  double latency_sum_ = 0;
  int64_t latency_count_ = 0;
  int64_t forwards_ = 0, prompt_tokens_ = 0, completion_tokens_ = 0, engine_runs_ = 0;
};

}  // namespace infilld::serve
