// The denoising loop, one for every family: the canvas laid out by the family's layout
// (layout.h: the full canvas of Dream, LLaDA, DreamOn...; the infilld FIM blocks), then
// forward -> score -> reveal, block by block, until the span is filled or a stop token ends it.
//
// Which thread may call what: denoise() runs on the engine worker thread (it calls the
// model); `cancel` may be set from any thread; `on_update` is called on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/denoisable.h"
#include "engine/denoise/canvas_spec.h"
#include "engine/denoise/decode_options.h"

namespace infilld::engine {

enum class FinishReason { Stop, Length, Deadline, Cancelled };
std::string_view finish_reason_name(FinishReason r);

struct DenoiseStats {
  int32_t forwards = 0;
  int64_t positions = 0;  // positions computed over all forwards
  int32_t revealed = 0;   // tokens revealed by the policy (not by a deadline's greedy fill)
  int32_t expanded = 0;   // DreamOn: slots that became two masks
  int32_t deleted = 0;    // DreamOn: slots removed by a revealed end-of-text
  std::vector<int32_t> revealed_per_step;
  double forward_ms = 0.0;
  double score_ms = 0.0;
  double total_ms = 0.0;

  // One forward of `n_positions` rows that took `ms`: every loop counts its forwards here.
  void count_forward(int64_t n_positions, double ms) {
    forwards += 1;
    positions += n_positions;
    forward_ms += ms;
  }
  // One step that revealed `n` tokens (`by_policy`: not the deadline's greedy fill).
  void count_step(int64_t n, bool by_policy) {
    if (by_policy) revealed += static_cast<int32_t>(n);
    revealed_per_step.push_back(static_cast<int32_t>(n));
  }
};

struct InfillRequest {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
  DecodeOptions options;
  const std::atomic<bool>* cancel = nullptr;  // checked before every step
  // Called when the final part of the middle grows: the tokens from the span's start up to
  // its first mask (or its end), stop tokens excluded. Lets a caller show the first line
  // before the rest is done.
  std::function<void(std::span<const int32_t> final_tokens)> on_update;
  // Called as the final part grows, like on_update: true when the caller's answer can no
  // longer change (its post-processing cuts what would follow, e.g. a single line that has
  // its line break). The run then ends there: finish Stop, the middle the final part.
  std::function<bool(std::span<const int32_t> final_tokens)> settled;
};

struct InfillResult {
  std::vector<int32_t> tokens;  // the middle, cut before the first stop token
  FinishReason finish = FinishReason::Length;
  DenoiseStats stats;
};

Expected<InfillResult> denoise(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request);

// Requests that advance in lockstep and come and go one by one (continuous batching): each
// round() runs one step of every request in the batch, their forwards stacked in one pass
// (each with its own K/V cache, if any); a request add()ed between rounds joins at the next
// one, and one that finishes (stop, length, deadline, cancel, error) leaves in the round it
// ends, its `done` called then. Requests through an exact context cache (infilld FIM) are
// batched as far as the model has a cache for each (Denoisable::context_slots), the others
// waiting their turn; through a model's one cache they take turns: only the oldest steps.
// Each result's tokens are what denoise() gives for its request alone (its positions
// computed may be fewer: a context cache may hold another request's leading rows; its
// forward time is the stacked forward's).
//
// Which thread may call what: one thread (the engine worker) makes, adds and rounds; a
// request's `cancel` may be set from any thread; `done` and the request's callbacks run on
// the rounding thread.
class DenoiseBatch {
 public:
  using Done = std::function<void(Expected<InfillResult>)>;
  DenoiseBatch(Denoisable& model, const CanvasSpec& spec);  // both must outlive the batch
  ~DenoiseBatch();
  DenoiseBatch(const DenoiseBatch&) = delete;
  DenoiseBatch& operator=(const DenoiseBatch&) = delete;

  // Joins at the next round; a request the model or the layout refuses is answered at once.
  void add(InfillRequest request, Done done);
  // One step of each request; returns how many took one (those whose forwards it stacked,
  // and those that ran their own).
  size_t round();
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry;
  Denoisable& model_;
  const CanvasSpec& spec_;
  std::vector<std::unique_ptr<Entry>> entries_;  // oldest first
};

// Several requests at once through one DenoiseBatch, all joining at the start.
std::vector<Expected<InfillResult>> denoise_batch(Denoisable& model, const CanvasSpec& spec,
                                                  std::span<const InfillRequest> requests);

}  // namespace infilld::engine
