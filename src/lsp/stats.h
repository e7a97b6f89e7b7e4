// What infilld/stats reports (docs/lsp.md): counts of requests and their outcomes, of the
// editor's show/accept events, of forward passes, and latency percentiles of the answered
// inline completions. Loop thread only.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace infilld::lsp {

struct Stats {
  int64_t requests = 0;           // inline completion and completion requests received
  int64_t completed = 0;          // answered with a suggestion
  int64_t empty = 0;              // answered with no suggestion
  int64_t errors = 0;             // answered with an error other than a cancellation
  int64_t cancelled = 0;          // $/cancelRequest, shutdown
  int64_t superseded = 0;         // a newer request for the same document
  int64_t content_modified = 0;   // a didChange to a newer version
  int64_t cache_hits = 0;         // exact hits
  int64_t typed_through_hits = 0;
  int64_t speculative = 0;        // speculative requests run
  int64_t speculative_used = 0;   // requests answered by a running or finished speculative one
  int64_t shown = 0;
  int64_t accepted = 0;
  int64_t partially_accepted = 0;
  int64_t forwards = 0;

  void record_latency(double ms);
  nlohmann::json to_json() const;

 private:
  std::vector<double> latencies_ms_;  // every answered request's (bounded: the last 100,000)
};

// The q-th percentile (0..100) of `values` by linear interpolation; 0 when empty.
double percentile(std::vector<double> values, double q);

}  // namespace infilld::lsp
