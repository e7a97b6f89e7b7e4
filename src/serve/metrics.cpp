#include "serve/metrics.h"

#include <cstdio>

namespace infilld::serve {

void Metrics::request(const std::string& endpoint, const std::string& outcome, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, outcome}];
  if (outcome != "ok") return;  // the histogram: answered requests only
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++latency_counts_[b];
  latency_sum_ += seconds;
  ++latency_count_;
}

void Metrics::engine_run(int64_t forwards, int64_t prompt_tokens, int64_t completion_tokens) {
  std::lock_guard lock(mutex_);
  ++engine_runs_;
  forwards_ += forwards;
  prompt_tokens_ += prompt_tokens;
  completion_tokens_ += completion_tokens;
}

std::string Metrics::prometheus_text(const std::vector<uint64_t>& steps_by_batch_size) const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  auto number = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf);
  };
  line("# HELP infilld_requests_total HTTP requests by endpoint and outcome.");
  line("# TYPE infilld_requests_total counter");
  for (const auto& [key, n] : requests_)
    line("infilld_requests_total{endpoint=\"" + key.first + "\",outcome=\"" + key.second + "\"} " + std::to_string(n));
  line("# HELP infilld_requests_waiting Requests admitted and waiting for a slot.");
  line("# TYPE infilld_requests_waiting gauge");
  line("infilld_requests_waiting " + std::to_string(waiting.load()));
  line("# HELP infilld_requests_running Requests in the engine.");
  line("# TYPE infilld_requests_running gauge");
  line("infilld_requests_running " + std::to_string(running.load()));
  line("# HELP infilld_engine_runs_total Completions the engine ran.");
  line("# TYPE infilld_engine_runs_total counter");
  line("infilld_engine_runs_total " + std::to_string(engine_runs_));
  line("# HELP infilld_forwards_total Model forward passes.");
  line("# TYPE infilld_forwards_total counter");
  line("infilld_forwards_total " + std::to_string(forwards_));
  line("# HELP infilld_tokens_total Prompt and completion tokens.");
  line("# TYPE infilld_tokens_total counter");
  line("infilld_tokens_total{kind=\"prompt\"} " + std::to_string(prompt_tokens_));
  line("infilld_tokens_total{kind=\"completion\"} " + std::to_string(completion_tokens_));
  line("# HELP infilld_request_seconds Time from request to answer, answered requests.");
  line("# TYPE infilld_request_seconds histogram");
  int64_t cumulative = 0;
  for (size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += latency_counts_[b];
    line("infilld_request_seconds_bucket{le=\"" + number(kBuckets[b]) + "\"} " + std::to_string(cumulative));
  }
  cumulative += latency_counts_[kBuckets.size()];
  line("infilld_request_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative));
  line("infilld_request_seconds_sum " + number(latency_sum_));
  line("infilld_request_seconds_count " + std::to_string(latency_count_));
  line("# HELP infilld_batch_size Requests that took each denoising step together (continuous batching).");
  line("# TYPE infilld_batch_size histogram");
  uint64_t steps = 0, requests = 0;
  for (size_t size = 1; size < steps_by_batch_size.size(); ++size) {
    steps += steps_by_batch_size[size];
    requests += steps_by_batch_size[size] * size;
    line("infilld_batch_size_bucket{le=\"" + std::to_string(size) + "\"} " + std::to_string(steps));
  }
  line("infilld_batch_size_bucket{le=\"+Inf\"} " + std::to_string(steps));
  line("infilld_batch_size_sum " + std::to_string(requests));
  line("infilld_batch_size_count " + std::to_string(steps));
  return out;
}

}  // namespace infilld::serve
