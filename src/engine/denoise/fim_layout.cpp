// The infilld FIM layout (layout.h; DESIGN.md section 6):
//
//   canvas = <|suffix|> S <|prefix|> P <|middle|>           (the context, causal)
//   then:    a block of L masks appended, revealed over its steps; the next one after it;
//            until a block holds <|eom|> or max_tokens is reached
//
// An <|eom|> is revealed only at the block's first masked position (a position whose best
// token is <|eom|> waits until then), so the middle's end is decided left to right:
// revealed further right, the most confident tokens of a short middle's block (its <|eom|>
// filler) would pull the end leftwards step by step, down to an empty middle.
//
// Each step's forward goes through the model's exact context cache: the context and the
// finished blocks are never recomputed (their K/V do not depend on what follows), only the
// current block's rows. Logits are unshifted: a position's own row predicts it.
#include <algorithm>

#include "engine/denoise/denoiser.h"
#include "engine/denoise/layout.h"

namespace infilld::engine {

namespace {

class FimLayout : public CanvasLayout {
 public:
  FimLayout(const CanvasSpec& spec, const DecodeOptions& options) : spec_(spec), fim_(*spec.fim) {
    const int64_t L = std::max<int64_t>(fim_.block_length, 1);
    stops = {fim_.eom};
    stop_leftmost_only = true;
    device_scoring = false;  // the device's reveal kernel does not know the <|eom|> rule
    most_candidates = L;
    n_blocks_ = std::max<int64_t>(1, (options.max_tokens + L - 1) / L);
    const int64_t steps = options.steps > 0 ? std::max<int64_t>(1, options.steps / n_blocks_) : L;
    steps_per_block = std::min(steps, L);
    longest = options.max_tokens;  // the last block may overshoot
  }

  Status check(const Denoisable& model, const InfillRequest& request) const override {
    const DecodeOptions& o = request.options;
    if (fim_.eom < 0 || fim_.suffix < 0 || fim_.prefix < 0 || fim_.middle < 0 || fim_.block_length <= 0)
      return error("the infilld FIM model lacks its special tokens or block length");
    // What this layout decides itself: a setting it cannot honour is refused, not ignored.
    if (o.schedule != Schedule::Even)
      return error("infilld FIM models reveal each block by the even split: schedule ", schedule_name(o.schedule),
                   " is for the full-canvas families; use schedule even");
    if (o.block_length != 0 && o.block_length != fim_.block_length)
      return error("the block length of an infilld FIM model is its own (", fim_.block_length, "), not ",
                   o.block_length, ": drop the block length");
    if (o.max_length > 0)
      return error("max length is for DreamOn checkpoints (an <|expand|> token); infilld FIM models end the middle "
                   "with <|eom|>: drop it");
    if (o.cache != CacheMode::None)
      return error("cache mode ", cache_mode_name(o.cache),
                   " is for bidirectional models; infilld FIM models use their exact context cache: use cache mode none");
    if (!model.has_cache(ForwardCall::Cache::Context))
      return error("this model has no exact context cache for the infilld FIM layout");
    return Status::ok();
  }

  void lay_out(const InfillRequest& request, Canvas& canvas, Block& block) override {
    std::vector<int32_t>& t = canvas.tokens;
    t.reserve(request.prefix.size() + request.suffix.size() + 3 +
              static_cast<size_t>(n_blocks_ * fim_.block_length));
    t.push_back(fim_.suffix);
    t.insert(t.end(), request.suffix.begin(), request.suffix.end());
    t.push_back(fim_.prefix);
    t.insert(t.end(), request.prefix.begin(), request.prefix.end());
    t.push_back(fim_.middle);
    canvas.begin = canvas.end = static_cast<int64_t>(t.size());
    mask_ = AttentionMask{MaskKind::BlockCausal, canvas.begin, fim_.block_length};
    block = {canvas.begin, canvas.begin};
  }

  bool has_next(const Canvas&) const override { return blocks_ < n_blocks_; }

  bool next_block(Canvas& canvas, Block& block) override {
    if (blocks_ >= n_blocks_) return false;
    canvas.tokens.insert(canvas.tokens.end(), static_cast<size_t>(fim_.block_length), spec_.mask);
    block = {canvas.end, canvas.end + fim_.block_length};
    canvas.end = block.end;
    ++blocks_;
    return true;
  }

  ForwardCall call(const Canvas& canvas, const Block&, bool) override {
    ForwardCall c{canvas.tokens};
    c.cache = ForwardCall::Cache::Context;  // the context and finished blocks come from the cache
    c.mask = mask_;
    return c;
  }

 private:
  const CanvasSpec& spec_;
  const CanvasSpec::Fim fim_;
  AttentionMask mask_;
  int64_t n_blocks_ = 1;
  int64_t blocks_ = 0;  // appended so far
};

}  // namespace

std::unique_ptr<CanvasLayout> make_fim_layout(const CanvasSpec& spec, const DecodeOptions& options) {
  return std::make_unique<FimLayout>(spec, options);
}

}  // namespace infilld::engine
