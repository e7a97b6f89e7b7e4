#include "engine/denoise/denoiser.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

#include "engine/denoise/layout.h"
#include "engine/denoise/schedule.h"
#include "engine/denoise/scoring.h"

namespace infilld::engine {

namespace {

using Clock = std::chrono::steady_clock;

// The most candidates one device step takes (kernels/cuda/select.h's limit).
constexpr int64_t kMaxDeviceCandidates = 1024;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One denoising run: the canvas its layout lays out, the block being revealed, the latest
// logits. One step at a time, so that a batch can run several requests in lockstep:
//
//   while (run.begin_step()) { calls += run.step_call(); ...forward...; run.end_step(logits, ms); }
class Run {
 public:
  Run(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request)
      : model_(model),
        spec_(spec),
        request_(request),
        options_(request.options),
        scorer_(request.options, spec.mask) {}

  // Checks the request against the model and the layout, then lays out the canvas.
  Status start();
  // Moves to the next block with masks; checks cancel and deadline. False once finished.
  bool begin_step();
  // The step's forward call (its head rows: the rows that predict the block's masked positions).
  const ForwardCall& step_call();
  // Whether the step's forward may be stacked with other runs' (no device-side scoring; a
  // context-cache call only where the model has a cache for each request of a batch).
  bool batchable() const { return !device_ && (!spec_.fim || model_.context_slots() > 1); }
  // The step's forward here, alone, then end_step().
  void step();
  // The same for a step whose call step_call() has made already.
  void step_prepared();
  // Finished (its result or error ready for take_result()).
  bool finished() const { return done_; }
  // A run waiting for its turn: finished as cancelled if its request asks.
  void finish_if_cancelled() {
    if (!done_ && request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed))
      finish(FinishReason::Cancelled);
  }
  // Scores and reveals with the step's logits, applies the layout's edits, reports
  // progress, ends early when a stop token is final.
  void end_step(Logits&& logits, double ms);
  void fail(Status s) {
    error_ = std::move(s);
    done_ = true;
  }
  bool ok() const { return error_.is_ok(); }
  Expected<InfillResult> take_result();
  Expected<InfillResult> run() {
    if (Status s = start(); !s) return Error{s.message()};
    while (begin_step()) step();
    return take_result();
  }

 private:
  int64_t masks_in(int64_t from, int64_t to) const {
    return std::count(canvas_.tokens.begin() + from, canvas_.tokens.begin() + to, spec_.mask);
  }
  std::vector<int64_t> masked_in(int64_t from, int64_t to) const {
    std::vector<int64_t> positions;
    for (int64_t p = from; p < to; ++p)
      if (canvas_.tokens[p] == spec_.mask) positions.push_back(p);
    return positions;
  }
  bool is_stop(int32_t token) const {
    return std::find(layout_->stops.begin(), layout_->stops.end(), token) != layout_->stops.end();
  }
  int64_t row_of(int64_t position) const { return spec_.shifted ? position - 1 : position; }
  // The logits that predict `position` (the tokenizer's ids only); empty when the last
  // forward did not give them.
  std::span<const float> row_for(int64_t position) const {
    std::span<const float> row = logits_.row(row_of(position));
    if (row.empty() || spec_.n_choosable <= 0) return row;
    return row.first(static_cast<size_t>(std::min<int64_t>(spec_.n_choosable, model_.n_vocab())));
  }
  // Gives `call` the head rows that predict `positions`.
  void set_head_rows(ForwardCall& call, std::span<const int64_t> positions);
  // A forward of `call` whose head rows predict `positions`.
  Status forward(ForwardCall call, std::span<const int64_t> positions);
  // The schedule's count at step j (no scores needed: no threshold or factor rule).
  int64_t scheduled_count(int64_t j, int64_t n_masked) const;
  // Device-side scoring: the step's forward, scoring and choice on the model's device;
  // revealed_ receives what it reveals. `all`: every masked position of the span, all
  // revealed greedily (the deadline's fill).
  Status forward_device(bool all);
  // The deadline's answer: every masked position of the span gets its most likely token,
  // from the last forward's logits where they are there, else after one more forward.
  Status fill_greedily();
  // The final part of the middle: from the span's start to its first mask or stop token.
  int64_t final_length(bool* stopped) const;
  // Reports the final part when it grew; true when the caller says it is settled.
  bool report_progress();
  void finish(FinishReason reason);

  Denoisable& model_;
  const CanvasSpec& spec_;
  const InfillRequest& request_;
  const DecodeOptions& options_;
  std::unique_ptr<CanvasLayout> layout_;
  Scorer scorer_;
  Canvas canvas_;
  Block block_;
  Logits logits_;
  bool device_ = false;  // scores on the model's device (forward_device)
  std::vector<Revealed> revealed_;
  DenoiseStats stats_;
  int64_t reported_ = 0;

  // Loop state.
  Clock::time_point start_ = Clock::now();
  int64_t j_ = 0;  // step within the block
  std::vector<int64_t> counts_;      // the block's even split over its steps
  bool canvas_changed_ = false;      // DreamOn's edits: cached K/V no longer line up
  ForwardCall call_;
  std::vector<int64_t> positions_, head_rows_;  // the step's masked positions and their rows
  bool done_ = false;
  Status error_;
  InfillResult result_;
};

Status Run::start() {
  INFILLD_TRY(validate(options_));
  if (spec_.mask < 0) return error("the model has no mask token: it cannot fill a span");
  layout_ = make_layout(spec_, options_);
  for (const auto* part : {&request_.prefix, &request_.suffix})
    for (int32_t id : *part)
      if (id < 0 || id >= model_.n_vocab())
        return error("token id ", id, " is outside the vocabulary [0, ", model_.n_vocab(), ")");
  INFILLD_TRY(layout_->check(model_, request_));
  layout_->lay_out(request_, canvas_, block_);
  scorer_.exclude_also(layout_->also_excluded(canvas_));
  // Device-side scoring takes greedy decoding whose candidates fit one reveal kernel.
  device_ = layout_->device_scoring && model_.reveals_on_device(options_) &&
            layout_->most_candidates <= kMaxDeviceCandidates;
  return Status::ok();
}

void Run::set_head_rows(ForwardCall& call, std::span<const int64_t> positions) {
  head_rows_.clear();
  for (int64_t p : positions) head_rows_.push_back(row_of(p));
  call.head_rows = head_rows_;
}

Status Run::forward(ForwardCall call, std::span<const int64_t> positions) {
  set_head_rows(call, positions);
  const auto t = Clock::now();
  INFILLD_TRY(model_.forward(call, logits_));
  stats_.count_forward(logits_.computed, ms_since(t));
  return Status::ok();
}

int64_t Run::scheduled_count(int64_t j, int64_t n_masked) const {
  const int64_t steps = static_cast<int64_t>(counts_.size());
  if (j >= steps - 1) return n_masked;  // the block's last scheduled step reveals the rest
  if (options_.schedule == Schedule::Timestep) return timestep_count(n_masked, j, steps, options_.eps);
  return std::min(counts_[j], n_masked);
}

Status Run::forward_device(bool all) {
  const auto t = Clock::now();
  positions_ = all ? masked_in(canvas_.begin, canvas_.end) : masked_in(block_.begin, block_.end);
  RevealStep step;
  step.positions = positions_;
  step.shifted = spec_.shifted;
  step.policy = options_.policy;
  step.excluded[0] = spec_.mask;
  step.excluded[1] = layout_->also_excluded(canvas_);
  step.n_choosable = spec_.n_choosable;
  const auto n_masked = static_cast<int64_t>(positions_.size());
  step.choice = all ? kernels::RevealChoice{kernels::RevealRule::Count, n_masked, 0.0}
                    : reveal_choice(options_, scheduled_count(j_, n_masked));
  const ForwardCall call = layout_->call(canvas_, block_, all || j_ == 0 || canvas_changed_);
  INFILLD_TRY(model_.forward_reveal(call, step, revealed_));
  const int64_t rows = call.cache == ForwardCall::Cache::Kv ? call.r1 - call.r0
                                                             : static_cast<int64_t>(canvas_.tokens.size());
  stats_.count_forward(rows, ms_since(t));
  return Status::ok();
}

Status Run::fill_greedily() {
  if (device_) {
    INFILLD_TRY(forward_device(/*all=*/true));
    for (const Revealed& r : revealed_) canvas_.tokens[r.position] = r.token;
    stats_.count_step(static_cast<int64_t>(revealed_.size()), false);
    return Status::ok();
  }
  const std::vector<int64_t> masked = masked_in(canvas_.begin, canvas_.end);
  if (masked.empty()) return Status::ok();
  // The last forward scored only its block, or there was none, or DreamOn's edits moved
  // the canvas under its rows: one more.
  bool fresh = canvas_changed_;
  for (int64_t p : masked) fresh = fresh || row_for(p).empty();
  if (fresh) INFILLD_TRY(forward(layout_->call(canvas_, block_, /*whole=*/true), masked));
  if (spec_.expand >= 0) scorer_.exclude_also(spec_.expand);  // no slot grows once time is up
  for (int64_t p : masked) canvas_.tokens[p] = scorer_.argmax(row_for(p));
  stats_.count_step(static_cast<int64_t>(masked.size()), false);
  return Status::ok();
}

int64_t Run::final_length(bool* stopped) const {
  *stopped = false;
  int64_t n = 0;
  for (int64_t p = canvas_.begin; p < canvas_.end && canvas_.tokens[p] != spec_.mask; ++p, ++n) {
    if (is_stop(canvas_.tokens[p])) {
      *stopped = true;
      break;
    }
  }
  return n;
}

bool Run::report_progress() {
  bool stopped = false;
  const int64_t n = std::min(final_length(&stopped), layout_->longest);
  if (n <= reported_) return false;
  reported_ = n;
  const std::span<const int32_t> final_tokens(canvas_.tokens.data() + canvas_.begin, static_cast<size_t>(n));
  if (request_.on_update) request_.on_update(final_tokens);
  return request_.settled && request_.settled(final_tokens);
}

void Run::finish(FinishReason reason) {
  bool stopped = false;
  int64_t n = final_length(&stopped);
  if (!stopped) n = std::min(n, layout_->longest);  // a middle ended by a stop keeps its last block
  result_.tokens.assign(canvas_.tokens.begin() + canvas_.begin, canvas_.tokens.begin() + canvas_.begin + n);
  result_.finish = reason == FinishReason::Length && stopped ? FinishReason::Stop : reason;
  stats_.total_ms = ms_since(start_);
  result_.stats = std::move(stats_);
  done_ = true;
}

bool Run::begin_step() {
  if (done_) return false;
  if (masks_in(canvas_.begin, canvas_.end) == 0 && !layout_->has_next(canvas_)) {
    finish(FinishReason::Length);  // (Stop when a stop token is in the span)
    return false;
  }
  if (request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed)) {
    finish(FinishReason::Cancelled);
    return false;
  }
  const bool late = options_.deadline && Clock::now() >= *options_.deadline;
  // At the deadline the run answers with what it has; one that has not started fills its
  // first block.
  if (late && stats_.forwards > 0) {
    if (Status s = fill_greedily(); !s) {
      fail(std::move(s));
    } else {
      finish(FinishReason::Deadline);
    }
    return false;
  }
  while (masks_in(block_.begin, block_.end) == 0) {
    if (!layout_->next_block(canvas_, block_)) {
      finish(FinishReason::Length);
      return false;
    }
    counts_ = even_split(masks_in(block_.begin, block_.end), layout_->steps_per_block);
    j_ = 0;
  }
  if (late) {
    if (Status s = fill_greedily(); !s) {
      fail(std::move(s));
    } else {
      finish(FinishReason::Deadline);
    }
    return false;
  }
  return true;
}

const ForwardCall& Run::step_call() {
  positions_ = masked_in(block_.begin, block_.end);
  call_ = layout_->call(canvas_, block_, j_ == 0 || canvas_changed_);
  set_head_rows(call_, positions_);
  return call_;
}

void Run::step() {
  if (device_) {
    if (Status s = forward_device(/*all=*/false); !s) return fail(std::move(s));
    return end_step(Logits{}, -1.0);
  }
  step_call();
  step_prepared();
}

void Run::step_prepared() {
  const auto t = Clock::now();
  Logits logits;
  if (Status s = model_.forward(call_, logits); !s) return fail(std::move(s));
  end_step(std::move(logits), ms_since(t));
}

void Run::end_step(Logits&& logits, double ms) {
  struct Candidate {
    int64_t position;
    Scored scored;
  };
  canvas_changed_ = false;
  if (ms >= 0.0) {  // a host forward (the device path counted its own)
    logits_ = std::move(logits);
    stats_.count_forward(logits_.computed, ms);
  }
  const auto t_score = Clock::now();
  std::vector<Candidate> candidates;
  int64_t count = 0;
  if (device_) {  // scored and chosen on the device: the revealed, best first
    for (const Revealed& r : revealed_) candidates.push_back({r.position, Scored{r.token, 0.0}});
    count = static_cast<int64_t>(candidates.size());
  } else {
    std::vector<Candidate> scored;
    std::vector<double> scores;
    std::vector<std::span<const float>> rows;
    for (int64_t p : positions_) {
      rows.push_back(row_for(p));
      if (rows.back().empty()) return fail(error("the forward gave no logits for position ", p));
    }
    std::vector<Scored> all;
    scorer_.score_all(rows, all);
    for (size_t i = 0; i < positions_.size(); ++i) {
      const int64_t p = positions_[i];
      const Scored s = all[i];
      if (s.token < 0) return fail(error("position ", p, " has no token the model may choose"));
      // A stop the layout reveals only at the block's first masked position waits.
      if (layout_->stop_leftmost_only && p != positions_.front() && is_stop(s.token)) continue;
      scored.push_back({p, s});
      scores.push_back(s.score);
    }
    // The rule every path shares (kernels/cpu/reveal.h): best first, then the count.
    std::vector<double> sorted;
    for (int64_t i : kernels::reveal_order(scores)) {
      candidates.push_back(scored[i]);
      sorted.push_back(scores[i]);
    }
    const auto n_masked = static_cast<int64_t>(positions_.size());
    count = kernels::reveal_count(reveal_choice(options_, scheduled_count(j_, n_masked)), sorted);
  }
  std::vector<int64_t> revealed;
  for (int64_t i = 0; i < count; ++i) {
    canvas_.tokens[candidates[i].position] = candidates[i].scored.token;
    revealed.push_back(candidates[i].position);
  }
  if (layout_->after_reveal(canvas_, block_, revealed, stats_)) canvas_changed_ = true;
  scorer_.exclude_also(layout_->also_excluded(canvas_));
  stats_.count_step(count, true);
  stats_.score_ms += ms_since(t_score);
  ++j_;

  // Exact early exits: the caller's answer is settled, or a stop token with nothing masked
  // before it fixes the answer, since everything after it is dropped.
  const bool settled = report_progress();
  bool stopped = false;
  const int64_t final = final_length(&stopped);
  if (settled || (stopped && layout_->exit_on_stop)) {
    finish(FinishReason::Stop);
  } else if (final >= layout_->longest) {  // what follows would be cut
    finish(FinishReason::Length);
  }
}

Expected<InfillResult> Run::take_result() {
  if (!error_) return Error{error_.message()};
  return std::move(result_);
}

}  // namespace

std::unique_ptr<CanvasLayout> make_layout(const CanvasSpec& spec, const DecodeOptions& options) {
  return spec.fim ? make_fim_layout(spec, options) : make_full_canvas_layout(spec, options);
}

std::string_view finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Deadline: return "deadline";
    case FinishReason::Cancelled: return "cancelled";
  }
  return "?";
}

Expected<InfillResult> denoise(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request) {
  Run run(model, spec, request);
  return run.run();
}

// A request in the batch: the run refers to the request, so both stay where they are.
struct DenoiseBatch::Entry {
  InfillRequest request;
  Done done;
  std::unique_ptr<Run> run;
};

DenoiseBatch::DenoiseBatch(Denoisable& model, const CanvasSpec& spec) : model_(model), spec_(spec) {}
DenoiseBatch::~DenoiseBatch() = default;

void DenoiseBatch::add(InfillRequest request, Done done) {
  auto entry = std::make_unique<Entry>(Entry{std::move(request), std::move(done), nullptr});
  entry->run = std::make_unique<Run>(model_, spec_, entry->request);
  if (Status s = entry->run->start(); !s) return entry->done(Error{s.message()});
  entries_.push_back(std::move(entry));
}

size_t DenoiseBatch::round() {
  // Every run begins a step (one that ends here leaves below); the batchable ones share one
  // stacked forward, the others (device-side scoring) run their own. Context-cache runs step
  // as far as the model has caches for them (with one, only the oldest).
  const size_t contexts = spec_.fim ? static_cast<size_t>(std::max<int64_t>(model_.context_slots(), 1)) : SIZE_MAX;
  std::vector<Run*> batch;
  std::vector<ForwardCall> calls;
  size_t stepped = 0;
  for (auto& entry : entries_) {
    Run& run = *entry->run;
    if (stepped == contexts) {  // the others wait for a cache (a cancelled one need not)
      run.finish_if_cancelled();
      continue;
    }
    if (!run.begin_step()) continue;
    ++stepped;
    if (run.batchable()) {
      batch.push_back(&run);
      calls.push_back(run.step_call());
    } else {
      run.step();
    }
  }
  if (batch.size() == 1) {
    batch[0]->step_prepared();  // alone: the single forward, exactly as denoise() runs it
  } else if (!batch.empty()) {
    std::vector<Logits> logits(batch.size());
    std::vector<Logits*> outs;
    for (Logits& l : logits) outs.push_back(&l);
    const auto t = Clock::now();
    if (Status s = model_.forward(calls, outs); s) {
      const double ms = ms_since(t);
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->end_step(std::move(logits[i]), ms);
    } else {
      // One request's call may be what failed: each again alone, so that only it fails.
      for (Run* run : batch) run->step_prepared();
    }
  }
  // The finished leave now, each answered (the others keep their places: oldest first).
  std::vector<std::unique_ptr<Entry>> finished;
  std::erase_if(entries_, [&](std::unique_ptr<Entry>& e) {
    if (!e->run->finished()) return false;
    finished.push_back(std::move(e));
    return true;
  });
  for (auto& e : finished) e->done(e->run->take_result());
  return stepped;
}

std::vector<Expected<InfillResult>> denoise_batch(Denoisable& model, const CanvasSpec& spec,
                                                  std::span<const InfillRequest> requests) {
  std::vector<Expected<InfillResult>> results(requests.size(), Expected<InfillResult>(Error{"not run"}));
  DenoiseBatch batch(model, spec);
  for (size_t i = 0; i < requests.size(); ++i)
    batch.add(requests[i], [&results, i](Expected<InfillResult> r) { results[i] = std::move(r); });
  while (!batch.empty()) batch.round();
  return results;
}

}  // namespace infilld::engine
