#include "lsp/stats.h"

#include <algorithm>
#include <cmath>

namespace infilld::lsp {

void Stats::record_latency(double ms) {
  constexpr size_t kKeep = 100000;
  if (latencies_ms_.size() == kKeep) latencies_ms_.erase(latencies_ms_.begin(), latencies_ms_.begin() + kKeep / 2);
  latencies_ms_.push_back(ms);
}

void Stats::record_run(const EngineRun& run, bool as_last) {
  forwards += run.forwards;
  positions += run.positions;
  if (as_last) last = run;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = q / 100.0 * double(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - double(lo));
}

nlohmann::json Stats::to_json(const PendingCounts& pending) const {
  return {{"requests", requests},
          {"completed", completed},
          {"empty", empty},
          {"errors", errors},
          {"cancelled", cancelled},
          {"superseded", superseded},
          {"contentModified", content_modified},
          {"cacheHits", cache_hits},
          {"typedThroughHits", typed_through_hits},
          {"speculative", speculative},
          {"speculativeUsed", speculative_used},
          {"shown", shown},
          {"accepted", accepted},
          {"partiallyAccepted", partially_accepted},
          {"forwards", forwards},
          {"positions", positions},
          {"doubleReplies", reply_errors.double_replies},
          {"dropped", reply_errors.dropped},
          {"last",
           {{"forwards", last.forwards},
            {"positions", last.positions},
            {"canvas", last.canvas},
            {"tokens", last.tokens}}},
          {"pending",
           {{"debouncing", pending.debouncing},
            {"waitingForModel", pending.waiting_for_model},
            {"running", pending.running},
            {"speculative", pending.speculative}}},
          {"latencyMs",
           {{"count", latencies_ms_.size()},
            {"p50", percentile(latencies_ms_, 50)},
            {"p95", percentile(latencies_ms_, 95)},
            {"p99", percentile(latencies_ms_, 99)}}}};
}

}  // namespace infilld::lsp
