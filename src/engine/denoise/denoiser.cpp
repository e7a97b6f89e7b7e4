#include "engine/denoise/denoiser.h"

#include <algorithm>
#include <chrono>

#include "engine/denoise/schedule.h"
#include "engine/denoise/scoring.h"

namespace infilld::engine {

namespace {

using Clock = std::chrono::steady_clock;

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
  }

  Expected<InfillResult> run();

 private:
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
  // How many of the sorted candidate scores this step reveals.
  int64_t reveal_count(std::span<const double> sorted_scores, int64_t j, int64_t n_masked,
                       const std::vector<int64_t>& even_counts) const;
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
  DenoiseStats stats_;
  int64_t reported_ = 0;
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
    INFILLD_TRY(model_.forward_cached(canvas_, 0, n, logits_));
  }
  logits_row0_ = 0;
  stats_.forward_ms += ms_since(t);
  stats_.forwards += 1;
  stats_.positions += n;
  return Status::ok();
}

Status Run::forward_block(int64_t block_begin, int64_t block_end) {
  const auto t = Clock::now();
  const int64_t r0 = spec_.shifted ? block_begin - 1 : block_begin;
  const int64_t r1 = options_.cache == CacheMode::Dual ? block_end : static_cast<int64_t>(canvas_.size());
  INFILLD_TRY(model_.forward_cached(canvas_, r0, r1, logits_));
  logits_row0_ = r0;
  stats_.forward_ms += ms_since(t);
  stats_.forwards += 1;
  stats_.positions += r1 - r0;
  return Status::ok();
}

int64_t Run::reveal_count(std::span<const double> sorted, int64_t j, int64_t n_masked,
                          const std::vector<int64_t>& even_counts) const {
  if (options_.threshold) return threshold_count(sorted, *options_.threshold);
  if (options_.factor) return factor_count(sorted, *options_.factor);
  const int64_t steps = static_cast<int64_t>(even_counts.size());
  if (j >= steps - 1) return n_masked;  // the block's last scheduled step reveals the rest
  if (options_.schedule == Schedule::Timestep) return timestep_count(n_masked, j, steps, options_.eps);
  return std::min(even_counts[j], n_masked);
}

void Run::fill_greedily() {
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

Expected<InfillResult> Run::run() {
  const auto start = Clock::now();
  const int64_t n = end_ - begin_;
  const int64_t block = options_.block_length > 0 ? std::min<int64_t>(options_.block_length, n) : n;
  const int64_t n_blocks = (n + block - 1) / block;
  const int64_t steps = options_.steps > 0 ? options_.steps : n;
  const int64_t steps_per_block = std::max<int64_t>(1, steps / n_blocks);

  struct Candidate {
    int64_t position;
    Scored scored;
  };
  std::vector<Candidate> candidates;
  std::vector<double> sorted_scores;
  if (elastic_) scorer_.exclude_also(end_ - begin_ >= max_span() ? spec_.expand : -1);
  bool full_forward_needed = false;  // the canvas changed length: cached K/V no longer line up
  for (int64_t block_begin = begin_; block_begin < end_; block_begin += block) {
    int64_t block_end = std::min(block_begin + block, end_);
    const auto even_counts = even_split(masks_in(block_begin, block_end), steps_per_block);
    for (int64_t j = 0; masks_in(block_begin, block_end) > 0; ++j) {
      if (request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed)) {
        stats_.total_ms = ms_since(start);
        return finish(FinishReason::Cancelled);
      }
      if (options_.deadline && Clock::now() >= *options_.deadline) {
        if (logits_.empty()) INFILLD_TRY(forward());
        fill_greedily();  // (a model error there leaves the masks: reported as unfinished)
        stats_.total_ms = ms_since(start);
        return finish(FinishReason::Deadline);
      }
      // With a cache, a block starts with a full forward and continues with cached steps.
      if (options_.cache == CacheMode::None || j == 0 || full_forward_needed) {
        INFILLD_TRY(forward());
        full_forward_needed = false;
      } else {
        INFILLD_TRY(forward_block(block_begin, block_end));
      }

      const auto t_score = Clock::now();
      candidates.clear();
      for (int64_t p = block_begin; p < block_end; ++p)
        if (canvas_[p] == spec_.mask) candidates.push_back({p, scorer_.score(row_for(p))});
      // Highest score first; the lower position first among equals.
      std::stable_sort(candidates.begin(), candidates.end(),
                       [](const Candidate& a, const Candidate& b) { return a.scored.score > b.scored.score; });
      sorted_scores.clear();
      for (const Candidate& c : candidates) sorted_scores.push_back(c.scored.score);
      const int64_t count = std::min<int64_t>(
          reveal_count(sorted_scores, j, static_cast<int64_t>(candidates.size()), even_counts),
          static_cast<int64_t>(candidates.size()));
      for (int64_t i = 0; i < count; ++i) canvas_[candidates[i].position] = candidates[i].scored.token;
      if (elastic_) {
        std::vector<int64_t> revealed;
        for (int64_t i = 0; i < count; ++i) revealed.push_back(candidates[i].position);
        if (apply_edits(std::move(revealed))) full_forward_needed = true;
        block_end = end_;  // one block, which follows the span's length
      }
      stats_.revealed += static_cast<int32_t>(count);
      stats_.revealed_per_step.push_back(static_cast<int32_t>(count));
      stats_.score_ms += ms_since(t_score);

      report_progress();
      // Exact early exit: a stop token with nothing masked before it fixes the answer,
      // since everything after it is dropped.
      bool stopped = false;
      final_length(&stopped);
      if (stopped && !elastic_) {
        stats_.total_ms = ms_since(start);
        return finish(FinishReason::Stop);
      }
    }
  }
  stats_.total_ms = ms_since(start);
  return finish(FinishReason::Length);
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
  return s;
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
  if (request.options.cache != CacheMode::None && !model.supports_kv_cache())
    return error("cache mode ", cache_mode_name(request.options.cache),
                 " needs a fully bidirectional model with a K/V cache: use cache mode none");
  Run run(model, spec, request);
  return run.run();
}

}  // namespace infilld::engine
