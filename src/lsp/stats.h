// What infilld/stats reports (docs/lsp.md): counts of requests and their outcomes, of the
// editor's show/accept events, of forward passes and the positions they computed, the last
// engine run, the requests pending now, and latency percentiles of the answered inline
// completions. Loop thread only.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace infilld::lsp {

// The requests that wait for their reply now, by what they wait for (counted when asked).
struct PendingCounts {
  int64_t debouncing = 0;         // an automatic request's debounce timer
  int64_t waiting_for_model = 0;  // the model still loading
  int64_t running = 0;            // in the engine (queued or denoising)
  int64_t speculative = 0;        // speculative requests in the engine (no reply due)
};

// Broken reply-once promises (CompletionRequest counts them): zero unless the server has a
// bug (debug and sanitizer builds stop at the first one instead).
struct ReplyErrors {
  int64_t double_replies = 0;  // a reply refused: the request was answered already, or is speculative
  int64_t dropped = 0;         // a client's request erased without its reply
};

// One finished engine run (a request's or a speculative one).
struct EngineRun {
  int64_t forwards = 0;
  int64_t positions = 0;  // positions computed over its forwards (the exact context cache's reuse shows here)
  int64_t canvas = 0;     // the tokens it was asked to fill (maxTokens, or the completion shape's choice)
  int64_t tokens = 0;     // the middle it wrote, cut before the first stop token
};

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
  int64_t positions = 0;          // positions computed over all forwards
  ReplyErrors reply_errors;
  EngineRun last;                 // the last engine run that finished for a pending request (or a speculative one)

  void record_latency(double ms);
  // Adds a finished run to the totals; `as_last`: it is `last` too (its request still waited).
  void record_run(const EngineRun& run, bool as_last);
  nlohmann::json to_json(const PendingCounts& pending) const;

 private:
  std::vector<double> latencies_ms_;  // every answered request's (bounded: the last 100,000)
};

// The q-th percentile (0..100) of `values` by linear interpolation; 0 when empty.
double percentile(std::vector<double> values, double q);

}  // namespace infilld::lsp
