// The full-canvas layout (layout.h): [bos] P, a span of masks, S [eos]; the span revealed in
// blocks of the request's block length (one block by default), with or without the
// approximate prefix/dual caches; DreamOn's span grows by its expand token and shrinks by a
// revealed end-of-text.
#include <algorithm>

#include "engine/denoise/denoiser.h"
#include "engine/denoise/layout.h"

namespace infilld::engine {

namespace {

class FullCanvasLayout : public CanvasLayout {
 public:
  FullCanvasLayout(const CanvasSpec& spec, const DecodeOptions& options) : spec_(spec), options_(options) {
    stops = spec.stop;
    elastic_ = spec.expand >= 0;
    exit_on_stop = !elastic_;  // DreamOn's end-of-text deletes a slot instead of ending the middle
    const int64_t n = options.max_tokens;
    block_length_ = options.block_length > 0 ? std::min<int64_t>(options.block_length, n) : n;
    const int64_t n_blocks = (n + block_length_ - 1) / block_length_;
    const int64_t steps = options.steps > 0 ? options.steps : n;
    steps_per_block = std::max<int64_t>(1, steps / n_blocks);
    most_candidates = elastic_ ? longest_span() : block_length_;
  }

  Status check(const Denoisable& model, const InfillRequest& request) const override {
    const DecodeOptions& o = request.options;
    if (spec_.shifted && spec_.bos < 0 && request.prefix.empty())
      return error("this model predicts each position from the one before it: give at least one prefix token");
    if (elastic_ && o.block_length > 0 && o.block_length < o.max_tokens)
      return error("DreamOn's expand and delete need one block over the whole span: drop the block length");
    if (!elastic_ && o.max_length > 0)
      return error("max length ", o.max_length,
                   " is for DreamOn checkpoints (an <|expand|> token); this model's span has a fixed length: drop it");
    if (o.cache != CacheMode::None && !model.has_cache(ForwardCall::Cache::Kv))
      return error("cache mode ", cache_mode_name(o.cache),
                   " needs a fully bidirectional model with a K/V cache: use cache mode none");
    return Status::ok();
  }

  void lay_out(const InfillRequest& request, Canvas& canvas, Block& block) override {
    std::vector<int32_t>& t = canvas.tokens;
    t.reserve(request.prefix.size() + request.suffix.size() + static_cast<size_t>(options_.max_tokens) + 2);
    if (spec_.bos >= 0) t.push_back(spec_.bos);
    t.insert(t.end(), request.prefix.begin(), request.prefix.end());
    canvas.begin = static_cast<int64_t>(t.size());
    t.insert(t.end(), static_cast<size_t>(options_.max_tokens), spec_.mask);
    canvas.end = static_cast<int64_t>(t.size());
    t.insert(t.end(), request.suffix.begin(), request.suffix.end());
    if (spec_.eos >= 0) t.push_back(spec_.eos);
    block = {canvas.begin, canvas.begin};
  }

  bool has_next(const Canvas&) const override { return false; }  // every block is there from the start

  bool next_block(Canvas& canvas, Block& block) override {
    if (block.end >= canvas.end) return false;
    block.begin = block.end;
    block.end = elastic_ ? canvas.end : std::min(block.begin + block_length_, canvas.end);
    return true;
  }

  ForwardCall call(const Canvas& canvas, const Block& block, bool whole) override {
    ForwardCall c{canvas.tokens};
    if (options_.cache == CacheMode::None) return c;
    // With a cache, a block's first step refills it with a full forward; its later steps
    // recompute the block (DualCache) or the block and everything after it (prefix cache),
    // plus, with shifted logits, the row before the block, which predicts its first position.
    const auto n = static_cast<int64_t>(canvas.tokens.size());
    c.cache = ForwardCall::Cache::Kv;
    c.kv = &kv_;
    c.r0 = whole ? 0 : spec_.shifted ? block.begin - 1 : block.begin;
    c.r1 = whole || options_.cache != CacheMode::Dual ? n : block.end;
    return c;
  }

  bool after_reveal(Canvas& canvas, Block& block, std::span<const int64_t> revealed, DenoiseStats& stats) override {
    if (!elastic_) return false;
    std::vector<int64_t> order(revealed.begin(), revealed.end());
    std::sort(order.rbegin(), order.rend());  // back to front: earlier indices stay valid
    std::vector<int32_t>& t = canvas.tokens;
    bool changed = false;
    for (int64_t p : order) {
      if (t[p] == spec_.expand) {  // the slot becomes two masks
        t[p] = spec_.mask;
        t.insert(t.begin() + p + 1, spec_.mask);
        ++canvas.end;
        ++stats.expanded;
        changed = true;
      } else if (spec_.eos >= 0 && t[p] == spec_.eos) {  // the slot is deleted
        t.erase(t.begin() + p);
        --canvas.end;
        ++stats.deleted;
        changed = true;
      }
    }
    block.end = canvas.end;  // one block, which follows the span's length
    return changed;
  }

  int32_t also_excluded(const Canvas& canvas) const override {
    return elastic_ && canvas.end - canvas.begin >= longest_span() ? spec_.expand : -1;
  }

 private:
  int64_t longest_span() const {
    return options_.max_length > 0 ? options_.max_length : 2 * static_cast<int64_t>(options_.max_tokens);
  }

  const CanvasSpec& spec_;
  DecodeOptions options_;
  bool elastic_ = false;
  int64_t block_length_ = 1;
  KvCache kv_;  // this request's K/V for the cache modes
};

}  // namespace

std::unique_ptr<CanvasLayout> make_full_canvas_layout(const CanvasSpec& spec, const DecodeOptions& options) {
  return std::make_unique<FullCanvasLayout>(spec, options);
}

}  // namespace infilld::engine
