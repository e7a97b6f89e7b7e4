// The infilld FIM denoising loop (DESIGN.md section 6; denoiser.h has the contract):
//
//   canvas = <|suffix|> S <|prefix|> P <|middle|>           (the context, causal)
//   repeat: append a block of L masks; reveal it over its steps; stop at <|eom|>
//
// An <|eom|> is revealed only at the block's first masked position (a position whose best
// token is <|eom|> waits until then), so the middle's end is decided left to right.
//
// Each step's forward goes through the model's exact context cache: the context and the
// finished blocks are never recomputed (their K/V do not depend on what follows), only the
// current block's rows. Logits are unshifted: a position's own row predicts it.
#include <algorithm>
#include <chrono>

#include "engine/denoise/denoiser.h"
#include "engine/denoise/schedule.h"
#include "engine/denoise/scoring.h"

namespace infilld::engine {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

Status check_fim_request(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request) {
  INFILLD_TRY(validate(request.options));
  const CanvasSpec::Fim& f = *spec.fim;
  if (spec.mask < 0 || f.eom < 0 || f.suffix < 0 || f.prefix < 0 || f.middle < 0 || f.block_length <= 0)
    return error("the infilld FIM model lacks its special tokens or block length");
  // What this layout decides itself: a setting it cannot honour is refused, not ignored.
  if (request.options.schedule != Schedule::Even)
    return error("infilld FIM models reveal each block by the even split: schedule ",
                 schedule_name(request.options.schedule), " is for the full-canvas families; use schedule even");
  if (request.options.block_length != 0 && request.options.block_length != f.block_length)
    return error("the block length of an infilld FIM model is its own (", f.block_length, "), not ",
                 request.options.block_length, ": drop the block length");
  if (request.options.max_length > 0)
    return error("max length is for DreamOn checkpoints (an <|expand|> token); infilld FIM models end the middle "
                 "with <|eom|>: drop it");
  if (request.options.cache != CacheMode::None)
    return error("cache mode ", cache_mode_name(request.options.cache),
                 " is for bidirectional models; infilld FIM models use their exact context cache: use cache mode none");
  for (const auto* part : {&request.prefix, &request.suffix})
    for (int32_t id : *part)
      if (id < 0 || id >= model.n_vocab())
        return error("token id ", id, " is outside the vocabulary [0, ", model.n_vocab(), ")");
  return Status::ok();
}

}  // namespace

Expected<InfillResult> denoise_fim(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request) {
  INFILLD_TRY(check_fim_request(model, spec, request));
  const CanvasSpec::Fim& f = *spec.fim;
  const DecodeOptions& o = request.options;
  const Clock::time_point start = Clock::now();
  const int64_t L = f.block_length;
  const int64_t V = model.n_vocab();
  const int64_t n_choosable = spec.n_choosable > 0 ? std::min(spec.n_choosable, V) : V;

  std::vector<int32_t> canvas;
  canvas.reserve(request.prefix.size() + request.suffix.size() + 3 + static_cast<size_t>(o.max_tokens + L));
  canvas.push_back(f.suffix);
  canvas.insert(canvas.end(), request.suffix.begin(), request.suffix.end());
  canvas.push_back(f.prefix);
  canvas.insert(canvas.end(), request.prefix.begin(), request.prefix.end());
  canvas.push_back(f.middle);
  const int64_t context_length = static_cast<int64_t>(canvas.size());
  const AttentionMask mask{MaskKind::BlockCausal, context_length, L};

  const int64_t n_blocks = std::max<int64_t>(1, (o.max_tokens + L - 1) / L);
  const int64_t steps_per_block = o.steps > 0 ? std::max<int64_t>(1, o.steps / n_blocks) : L;
  const std::vector<int64_t> counts = even_split(L, std::min(steps_per_block, L));

  Scorer scorer(o, spec.mask);
  InfillResult result;
  DenoiseStats& stats = result.stats;
  std::vector<float> logits;
  std::vector<int32_t> middle;  // finished blocks
  int64_t reported = 0;
  auto finish = [&](FinishReason reason) {
    result.tokens = std::move(middle);
    result.finish = reason;
    stats.total_ms = ms_since(start);
    return result;
  };

  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t block_start = static_cast<int64_t>(canvas.size());
    canvas.insert(canvas.end(), static_cast<size_t>(L), spec.mask);
    int64_t masked = L;
    int64_t eom_at = -1;  // position in the block of a revealed <|eom|>
    for (size_t step = 0; masked > 0; ++step) {
      if (request.cancel != nullptr && request.cancel->load(std::memory_order_relaxed))
        return finish(FinishReason::Cancelled);
      const bool late = o.deadline && Clock::now() >= *o.deadline;
      // The forward: the context and finished blocks come from the cache.
      const Clock::time_point t0 = Clock::now();
      int64_t reused = 0;
      INFILLD_TRY(model.forward_incremental(canvas, mask, logits, reused));
      stats.count_forward(static_cast<int64_t>(canvas.size()) - reused, ms_since(t0));
      if (reused > block_start) return error("the context cache kept rows of the block being denoised");
      // Score the masked positions of the block.
      const Clock::time_point t1 = Clock::now();
      std::vector<double> scores;       // of the candidates
      std::vector<int64_t> candidates;  // their positions in the block
      std::vector<int32_t> chosen(static_cast<size_t>(L), -1);
      int64_t leftmost = -1;  // the first masked position of the block
      for (int64_t i = 0; i < L; ++i) {
        if (canvas[static_cast<size_t>(block_start + i)] != spec.mask) continue;
        if (leftmost < 0) leftmost = i;
        const float* row = logits.data() + (block_start + i - reused) * V;
        const std::span<const float> r(row, static_cast<size_t>(n_choosable));
        if (late) {
          chosen[static_cast<size_t>(i)] = scorer.argmax(r);
          scores.push_back(0.0);
          candidates.push_back(i);
          continue;
        }
        const Scored s = scorer.score(r);
        chosen[static_cast<size_t>(i)] = s.token;
        // <|eom|> only at the first masked position: revealed further right, the most
        // confident tokens of a short middle's block (its <|eom|> filler) would pull the
        // end leftwards step by step, down to an empty middle.
        if (s.token == f.eom && i != leftmost) continue;
        scores.push_back(s.score);
        candidates.push_back(i);
      }
      // The rule every path shares (kernels/cpu/reveal.h): best first, then the count; the
      // deadline's fill reveals every candidate.
      const std::vector<int64_t> order = kernels::reveal_order(scores);
      std::vector<double> sorted;
      for (int64_t n : order) sorted.push_back(scores[static_cast<size_t>(n)]);
      const kernels::RevealChoice choice =
          late ? kernels::RevealChoice{kernels::RevealRule::Count, masked, 0.0}
               : reveal_choice(o, step < counts.size() ? counts[step] : masked);
      const int64_t k = std::max<int64_t>(kernels::reveal_count(choice, sorted), 1);
      for (int64_t n = 0; n < k; ++n) {
        const int64_t i = candidates[static_cast<size_t>(order[static_cast<size_t>(n)])];
        const int32_t token = chosen[static_cast<size_t>(i)];
        canvas[static_cast<size_t>(block_start + i)] = token;
        if (token == f.eom && (eom_at < 0 || i < eom_at)) eom_at = i;
      }
      masked -= k;
      stats.count_step(k, !late);
      stats.score_ms += ms_since(t1);
      // The final part: finished blocks, then the block up to its first mask (or <|eom|>).
      int64_t upto = 0;
      while (upto < L && canvas[static_cast<size_t>(block_start + upto)] != spec.mask &&
             canvas[static_cast<size_t>(block_start + upto)] != f.eom)
        ++upto;
      const bool final_to_eom = eom_at >= 0 && upto == eom_at;
      if (request.on_update && static_cast<int64_t>(middle.size()) + upto > reported) {
        std::vector<int32_t> final_tokens = middle;
        final_tokens.insert(final_tokens.end(), canvas.begin() + block_start, canvas.begin() + block_start + upto);
        reported = static_cast<int64_t>(final_tokens.size());
        request.on_update(final_tokens);
      }
      // Exact early exit: everything before <|eom|> is revealed; what follows it is cut.
      if (final_to_eom) {
        middle.insert(middle.end(), canvas.begin() + block_start, canvas.begin() + block_start + eom_at);
        return finish(late ? FinishReason::Deadline : FinishReason::Stop);
      }
      if (late) break;
    }
    middle.insert(middle.end(), canvas.begin() + block_start, canvas.end());
    if (o.deadline && Clock::now() >= *o.deadline) return finish(FinishReason::Deadline);
  }
  // max_tokens reached without <|eom|>: the last block may overshoot; cut to max_tokens.
  if (static_cast<int64_t>(middle.size()) > o.max_tokens) middle.resize(static_cast<size_t>(o.max_tokens));
  return finish(FinishReason::Length);
}

}  // namespace infilld::engine
