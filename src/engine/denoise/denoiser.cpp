#include "engine/denoise/denoiser.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "engine/denoise/schedule.h"
#include "engine/denoise/scoring.h"

namespace infilld::engine {

namespace {

using Clock = std::chrono::steady_clock;

// The most candidates one device step takes (kernels/cuda/select.h's limit).
constexpr int64_t kMaxDeviceCandidates = 1024;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One denoising run's state: the canvas, where the span is, and the latest logits.
class Run {
 public:
  Run(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request)
      : model_(model), spec_(spec), request_(request), options_(request.options), scorer_(request.options, spec.mask) {
    canvas_.reserve(request.prefix.size() + request.suffix.size() + static_cast<size_t>(options_.max_tokens) + 2);
    if (spec.bos >= 0) canvas_.push_back(spec.bos);
    canvas_.insert(canvas_.end(), request.prefix.begin(), request.prefix.end());
    begin_ = static_cast<int64_t>(canvas_.size());
    canvas_.insert(canvas_.end(), static_cast<size_t>(options_.max_tokens), spec.mask);
    end_ = static_cast<int64_t>(canvas_.size());
    canvas_.insert(canvas_.end(), request.suffix.begin(), request.suffix.end());
    if (spec.eos >= 0) canvas_.push_back(spec.eos);
    elastic_ = spec.expand >= 0;
    const int64_t n = end_ - begin_;
    block_ = options_.block_length > 0 ? std::min<int64_t>(options_.block_length, n) : n;
    const int64_t n_blocks = (n + block_ - 1) / block_;
    const int64_t steps = options_.steps > 0 ? options_.steps : n;
    steps_per_block_ = std::max<int64_t>(1, steps / n_blocks);
    block_begin_ = begin_;
    if (elastic_) scorer_.exclude_also(n >= max_span() ? spec_.expand : -1);
    // Device-side scoring takes greedy decoding whose candidates fit one reveal kernel.
    const int64_t most_candidates = elastic_ ? max_span() : block_;
    device_ = model.reveals_on_device(options_) && most_candidates <= kMaxDeviceCandidates;
  }

  // The loop, one step at a time, so that a batch can run several requests in lockstep:
  //   while (run.begin_step()) { run.forward_here() or run.accept_logits(...); run.end_step(); }
  // begin_step() moves between blocks and checks cancel and deadline; false once finished.
  bool begin_step();
  // The step's forward: a full one, or with a cache mode a block step.
  void forward_here();
  // Whether the step takes a full forward of canvas().
  bool wants_full_forward() const {
    return options_.cache == CacheMode::None || j_ == 0 || full_forward_needed_;
  }
  // Whether a batch may compute this step's forward: a plain full forward that fills no
  // K/V cache (a cache mode's full forwards also refill the model's cache, so they run alone).
  bool batchable() const { return options_.cache == CacheMode::None && !device_; }
  const std::vector<int32_t>& canvas() const { return canvas_; }
  void accept_logits(std::vector<float>&& logits, double ms);
  // Scores, reveals, applies DreamOn's edits, reports progress, exits early when final.
  void end_step();
  Expected<InfillResult> take_result();
  bool ok() const { return error_.is_ok(); }
  void fail_with(const Status& s) { fail(s); }
  Expected<InfillResult> run() {
    while (begin_step()) {
      forward_here();
      if (error_.is_ok()) end_step();
    }
    return take_result();
  }

 private:
  void fail(Status s) {
    error_ = std::move(s);
    done_ = true;
  }
  void finish_as(FinishReason reason) {
    stats_.total_ms = ms_since(start_);
    result_ = finish(reason);
    done_ = true;
  }
  // DreamOn's variable length: the span grows by expand tokens and shrinks by revealed
  // end-of-text tokens. Returns whether the canvas changed length.
  bool apply_edits(std::vector<int64_t> revealed);
  int64_t max_span() const {
    return options_.max_length > 0 ? options_.max_length : 2 * static_cast<int64_t>(options_.max_tokens);
  }
  bool is_stop(int32_t token) const { return std::find(spec_.stop.begin(), spec_.stop.end(), token) != spec_.stop.end(); }
  int64_t masks_in(int64_t from, int64_t to) const {
    return std::count(canvas_.begin() + from, canvas_.begin() + to, spec_.mask);
  }
  std::span<const float> row_for(int64_t position) const {
    const int64_t row = (spec_.shifted ? position - 1 : position) - logits_row0_;
    const int64_t n = spec_.n_choosable > 0 ? std::min(spec_.n_choosable, model_.n_vocab()) : model_.n_vocab();
    return {logits_.data() + row * model_.n_vocab(), static_cast<size_t>(n)};
  }
  bool has_row_for(int64_t position) const {
    const int64_t row = (spec_.shifted ? position - 1 : position) - logits_row0_;
    return !logits_.empty() && row >= 0 && row < static_cast<int64_t>(logits_.size()) / model_.n_vocab();
  }
  // A full forward; with a cache mode it also refills the model's K/V cache.
  Status forward();
  // The cached step of a block [block_begin, block_end): DualCache recomputes the block's
  // rows, the prefix cache the block and everything after it (plus, with shifted logits,
  // the row before the block, which predicts its first position).
  Status forward_block(int64_t block_begin, int64_t block_end);
  // The schedule's count at step j (no scores needed: no threshold or factor rule).
  int64_t scheduled_count(int64_t j, int64_t n_masked, const std::vector<int64_t>& even_counts) const;
  // Device-side scoring: the step's forward, scoring and choice on the model's device
  // (Denoisable::forward_reveal); `revealed_` receives what it reveals. `all`: every masked
  // position of the span, all revealed greedily (the deadline's fill).
  Status forward_device(bool full, bool all = false);
  RevealStep reveal_step(std::span<const int64_t> positions) const;
  void fill_greedily();
  // The final part of the middle: from the span's start to its first mask or stop token.
  int64_t final_length(bool* stopped) const;
  void report_progress();
  InfillResult finish(FinishReason reason);

  Denoisable& model_;
  const CanvasSpec& spec_;
  const InfillRequest& request_;
  const DecodeOptions& options_;
  Scorer scorer_;
  std::vector<int32_t> canvas_;
  int64_t begin_ = 0, end_ = 0;  // the span [begin_, end_)
  bool elastic_ = false;  // DreamOn mode (spec has an expand token)
  std::vector<float> logits_;
  int64_t logits_row0_ = 0;  // the canvas row of logits_'s first row
  KvCache kv_cache_;         // this request's K/V for the cache modes
  bool device_ = false;      // scores on the model's device (forward_device)
  std::vector<Revealed> revealed_;
  DenoiseStats stats_;
  int64_t reported_ = 0;

  // Loop state.
  Clock::time_point start_ = Clock::now();
  int64_t block_ = 1, steps_per_block_ = 1;  // block length and steps per block
  int64_t block_begin_ = 0, block_end_ = 0;
  bool block_active_ = false;
  int64_t j_ = 0;  // step within the block
  std::vector<int64_t> even_counts_;
  bool full_forward_needed_ = false;  // the canvas changed length: cached K/V no longer line up
  bool done_ = false;
  Status error_;
  InfillResult result_;
};

bool Run::apply_edits(std::vector<int64_t> revealed) {
  std::sort(revealed.rbegin(), revealed.rend());  // back to front: earlier indices stay valid
  bool changed = false;
  for (int64_t p : revealed) {
    if (canvas_[p] == spec_.expand) {
      canvas_[p] = spec_.mask;
      canvas_.insert(canvas_.begin() + p + 1, spec_.mask);
      ++end_;
      ++stats_.expanded;
      changed = true;
    } else if (canvas_[p] == spec_.eos && spec_.eos >= 0) {
      canvas_.erase(canvas_.begin() + p);
      --end_;
      ++stats_.deleted;
      changed = true;
    }
  }
  scorer_.exclude_also(end_ - begin_ >= max_span() ? spec_.expand : -1);
  return changed;
}

Status Run::forward() {
  const auto t = Clock::now();
  const int64_t n = static_cast<int64_t>(canvas_.size());
  if (options_.cache == CacheMode::None) {
    INFILLD_TRY(model_.forward(canvas_, logits_));
  } else {
    INFILLD_TRY(model_.forward_cached(canvas_, 0, n, kv_cache_, logits_));
  }
  logits_row0_ = 0;
  stats_.count_forward(n, ms_since(t));
  return Status::ok();
}

Status Run::forward_block(int64_t block_begin, int64_t block_end) {
  const auto t = Clock::now();
  const int64_t r0 = spec_.shifted ? block_begin - 1 : block_begin;
  const int64_t r1 = options_.cache == CacheMode::Dual ? block_end : static_cast<int64_t>(canvas_.size());
  INFILLD_TRY(model_.forward_cached(canvas_, r0, r1, kv_cache_, logits_));
  logits_row0_ = r0;
  stats_.count_forward(r1 - r0, ms_since(t));
  return Status::ok();
}

int64_t Run::scheduled_count(int64_t j, int64_t n_masked, const std::vector<int64_t>& even_counts) const {
  const int64_t steps = static_cast<int64_t>(even_counts.size());
  if (j >= steps - 1) return n_masked;  // the block's last scheduled step reveals the rest
  if (options_.schedule == Schedule::Timestep) return timestep_count(n_masked, j, steps, options_.eps);
  return std::min(even_counts[j], n_masked);
}

RevealStep Run::reveal_step(std::span<const int64_t> positions) const {
  RevealStep step;
  step.positions = positions;
  step.shifted = spec_.shifted;
  step.policy = options_.policy;
  step.excluded[0] = spec_.mask;
  step.excluded[1] = elastic_ && end_ - begin_ >= max_span() ? spec_.expand : -1;
  step.n_choosable = spec_.n_choosable;
  return step;
}

Status Run::forward_device(bool full, bool all) {
  const auto t = Clock::now();
  std::vector<int64_t> positions;
  for (int64_t p = all ? begin_ : block_begin_; p < (all ? end_ : block_end_); ++p)
    if (canvas_[p] == spec_.mask) positions.push_back(p);
  RevealStep step = reveal_step(positions);
  const int64_t n_masked = static_cast<int64_t>(positions.size());
  step.choice = all ? kernels::RevealChoice{kernels::RevealRule::Count, n_masked, 0.0}
                    : reveal_choice(options_, scheduled_count(j_, n_masked, even_counts_));
  const int64_t n = static_cast<int64_t>(canvas_.size());
  int64_t r0 = 0, r1 = n;
  KvCache* cache = options_.cache == CacheMode::None || all ? nullptr : &kv_cache_;
  if (!full) {
    r0 = spec_.shifted ? block_begin_ - 1 : block_begin_;
    r1 = options_.cache == CacheMode::Dual ? block_end_ : n;
  }
  INFILLD_TRY(model_.forward_reveal(canvas_, r0, r1, cache, step, revealed_));
  stats_.count_forward(r1 - r0, ms_since(t));
  return Status::ok();
}

void Run::fill_greedily() {
  if (device_) {
    if (!forward_device(/*full=*/true, /*all=*/true)) return;
    for (const Revealed& r : revealed_) canvas_[r.position] = r.token;
    return;
  }
  for (int64_t p = begin_; p < end_; ++p)
    if (canvas_[p] == spec_.mask && !has_row_for(p)) {
      // A cached step computed only its block: the others need a full forward.
      if (!forward()) return;
      break;
    }
  for (int64_t p = begin_; p < end_; ++p) {
    if (canvas_[p] != spec_.mask) continue;
    canvas_[p] = scorer_.argmax(row_for(p));
  }
}

int64_t Run::final_length(bool* stopped) const {
  *stopped = false;
  int64_t n = 0;
  for (int64_t p = begin_; p < end_ && canvas_[p] != spec_.mask; ++p, ++n) {
    if (is_stop(canvas_[p])) {
      *stopped = true;
      break;
    }
  }
  return n;
}

void Run::report_progress() {
  if (!request_.on_update) return;
  bool stopped = false;
  const int64_t n = final_length(&stopped);
  if (n > reported_) {
    reported_ = n;
    request_.on_update(std::span<const int32_t>(canvas_.data() + begin_, static_cast<size_t>(n)));
  }
}

InfillResult Run::finish(FinishReason reason) {
  InfillResult r;
  bool stopped = false;
  const int64_t n = final_length(&stopped);
  r.tokens.assign(canvas_.begin() + begin_, canvas_.begin() + begin_ + n);
  r.finish = reason == FinishReason::Length && stopped ? FinishReason::Stop : reason;
  r.stats = std::move(stats_);
  return r;
}

bool Run::begin_step() {
  if (done_) return false;
  for (;;) {  // the next block that still has masks
    if (!block_active_) {
      if (block_begin_ >= end_) {
        finish_as(FinishReason::Length);
        return false;
      }
      block_end_ = std::min(block_begin_ + block_, end_);
      even_counts_ = even_split(masks_in(block_begin_, block_end_), steps_per_block_);
      j_ = 0;
      block_active_ = true;
    }
    if (masks_in(block_begin_, block_end_) > 0) break;
    block_active_ = false;
    block_begin_ += block_;
  }
  if (request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed)) {
    finish_as(FinishReason::Cancelled);
    return false;
  }
  if (options_.deadline && Clock::now() >= *options_.deadline) {
    if (logits_.empty() && !device_) {
      if (Status s = forward(); !s) {
        fail(std::move(s));
        return false;
      }
    }
    fill_greedily();  // (a model error there leaves the masks: reported as unfinished)
    finish_as(FinishReason::Deadline);
    return false;
  }
  return true;
}

void Run::forward_here() {
  // With a cache, a block starts with a full forward and continues with cached steps.
  const bool full = wants_full_forward();
  Status s = device_ ? forward_device(full) : full ? forward() : forward_block(block_begin_, block_end_);
  if (!s) fail(std::move(s));
  full_forward_needed_ = false;
}

void Run::accept_logits(std::vector<float>&& logits, double ms) {
  logits_ = std::move(logits);
  logits_row0_ = 0;
  stats_.count_forward(static_cast<int64_t>(canvas_.size()), ms);
  full_forward_needed_ = false;
}

void Run::end_step() {
  struct Candidate {
    int64_t position;
    Scored scored;
  };
  const auto t_score = Clock::now();
  std::vector<Candidate> candidates;
  int64_t count = 0;
  if (device_) {  // scored and chosen on the device: the revealed, best first
    for (const Revealed& r : revealed_) candidates.push_back({r.position, Scored{r.token, 0.0}});
    count = static_cast<int64_t>(candidates.size());
  } else {
    std::vector<Candidate> masked;
    std::vector<double> scores;
    for (int64_t p = block_begin_; p < block_end_; ++p)
      if (canvas_[p] == spec_.mask) {
        masked.push_back({p, scorer_.score(row_for(p))});
        scores.push_back(masked.back().scored.score);
      }
    // The rule every path shares (kernels/cpu/reveal.h): best first, then the count.
    std::vector<double> sorted;
    for (int64_t i : kernels::reveal_order(scores)) {
      candidates.push_back(masked[i]);
      sorted.push_back(scores[i]);
    }
    count = kernels::reveal_count(reveal_choice(options_, scheduled_count(j_, static_cast<int64_t>(masked.size()), even_counts_)),
                                  sorted);
  }
  for (int64_t i = 0; i < count; ++i) canvas_[candidates[i].position] = candidates[i].scored.token;
  if (elastic_) {
    std::vector<int64_t> revealed;
    for (int64_t i = 0; i < count; ++i) revealed.push_back(candidates[i].position);
    if (apply_edits(std::move(revealed))) full_forward_needed_ = true;
    block_end_ = end_;  // one block, which follows the span's length
  }
  stats_.count_step(count, true);
  stats_.score_ms += ms_since(t_score);
  ++j_;

  report_progress();
  // Exact early exit: a stop token with nothing masked before it fixes the answer, since
  // everything after it is dropped.
  bool stopped = false;
  final_length(&stopped);
  if (stopped && !elastic_) finish_as(FinishReason::Stop);
}

Expected<InfillResult> Run::take_result() {
  if (!error_) return Error{error_.message()};
  return std::move(result_);
}

}  // namespace

CanvasSpec canvas_spec(const ModelConfig& c, int64_t n_tokens) {
  CanvasSpec s;
  s.n_choosable = n_tokens > 0 && n_tokens < c.n_vocab ? n_tokens : 0;
  s.mask = c.tokens.mask;
  s.bos = c.tokens.bos;
  s.eos = c.tokens.eos;
  s.expand = c.tokens.expand;
  for (int32_t id : {c.tokens.eos, c.tokens.pad})
    if (id >= 0 && std::find(s.stop.begin(), s.stop.end(), id) == s.stop.end()) s.stop.push_back(id);
  s.shifted = c.shifted_logits;
  if (c.arch == Architecture::InfilldFim)
    s.fim = CanvasSpec::Fim{c.tokens.fim_suffix, c.tokens.fim_prefix, c.tokens.fim_middle, c.tokens.eom, c.block_length};
  return s;
}

int64_t canvas_overhead(const CanvasSpec& spec, const DecodeOptions& o) {
  const int64_t n = std::max<int32_t>(o.max_tokens, 1);
  if (spec.fim) {
    const int64_t L = std::max<int64_t>(spec.fim->block_length, 1);
    return 3 + (n + L - 1) / L * L;
  }
  const int64_t span = spec.expand >= 0 ? (o.max_length > 0 ? o.max_length : 2 * n) : n;
  return span + (spec.bos >= 0 ? 1 : 0) + (spec.eos >= 0 ? 1 : 0);
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

namespace {

Status check_request(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request) {
  INFILLD_TRY(validate(request.options));
  if (spec.mask < 0) return error("the model has no mask token: it cannot fill a span");
  if (spec.shifted && spec.bos < 0 && request.prefix.empty())
    return error("this model predicts each position from the one before it: give at least one prefix token");
  for (const auto* part : {&request.prefix, &request.suffix})
    for (int32_t id : *part)
      if (id < 0 || id >= model.n_vocab())
        return error("token id ", id, " is outside the vocabulary [0, ", model.n_vocab(), ")");
  if (spec.expand >= 0 && request.options.block_length > 0 && request.options.block_length < request.options.max_tokens)
    return error("DreamOn's expand and delete need one block over the whole span: drop the block length");
  if (spec.expand < 0 && request.options.max_length > 0)
    return error("max length ", request.options.max_length,
                 " is for DreamOn checkpoints (an <|expand|> token); this model's span has a fixed length: drop it");
  if (request.options.cache != CacheMode::None && !model.supports_kv_cache())
    return error("cache mode ", cache_mode_name(request.options.cache),
                 " needs a fully bidirectional model with a K/V cache: use cache mode none");
  return Status::ok();
}

}  // namespace

Expected<InfillResult> denoise(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request) {
  if (spec.fim) return denoise_fim(model, spec, request);
  INFILLD_TRY(check_request(model, spec, request));
  Run run(model, spec, request);
  return run.run();
}

std::vector<Expected<InfillResult>> denoise_batch(Denoisable& model, const CanvasSpec& spec,
                                                  std::span<const InfillRequest> requests) {
  std::vector<Expected<InfillResult>> results;
  if (spec.fim) {  // one exact context cache: the requests take turns
    for (const InfillRequest& r : requests) results.push_back(denoise_fim(model, spec, r));
    return results;
  }
  std::vector<std::unique_ptr<Run>> runs(requests.size());
  std::vector<Status> invalid(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    invalid[i] = check_request(model, spec, requests[i]);
    if (invalid[i]) runs[i] = std::make_unique<Run>(model, spec, requests[i]);
  }
  // Lockstep: each round, every live run begins a step; those without a cache share one
  // batched forward, the others (cache modes) run their own.
  std::vector<Run*> live, batch;
  for (auto& r : runs)
    if (r) live.push_back(r.get());
  std::vector<std::vector<float>> logits;
  while (!live.empty()) {
    batch.clear();
    std::vector<Run*> next;
    for (Run* r : live) {
      if (!r->begin_step()) continue;
      next.push_back(r);
      if (r->batchable()) {
        batch.push_back(r);
      } else {
        r->forward_here();
      }
    }
    if (!batch.empty()) {
      std::vector<std::span<const int32_t>> canvases;
      std::vector<std::vector<float>*> outs;
      logits.resize(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        canvases.emplace_back(batch[i]->canvas());
        outs.push_back(&logits[i]);
      }
      const auto t = Clock::now();
      Status s = model.forward_batch(canvases, outs);
      const double ms = ms_since(t);
      for (size_t i = 0; i < batch.size(); ++i) {
        if (s) {
          batch[i]->accept_logits(std::move(logits[i]), ms);
        } else {
          batch[i]->fail_with(s);
        }
      }
    }
    live.clear();
    for (Run* r : next)
      if (r->ok()) {
        r->end_step();
        live.push_back(r);
      }
  }
  for (size_t i = 0; i < requests.size(); ++i)
    results.push_back(runs[i] ? runs[i]->take_result() : Expected<InfillResult>(Error{invalid[i].message()}));
  return results;
}

}  // namespace infilld::engine
