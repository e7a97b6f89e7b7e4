// How a family lays out its canvas, the strategy of the one decode loop (denoiser.cpp):
//
//   full canvas (Dream, LLaDA, DreamOn, ...):  [bos] P  mask * n  S [eos]
//       the span's blocks exist from the start; forwards over the whole canvas, or with the
//       approximate prefix/dual caches; DreamOn's span grows and shrinks (expand, delete).
//   infilld FIM (DESIGN.md section 6):  <|suffix|> S <|prefix|> P <|middle|>  then blocks
//       of L masks appended one after another; forwards through the exact context cache;
//       <|eom|> ends the middle and is revealed only at its block's first masked position.
//
// The loop asks the layout where the next block is, what forward a step takes and what
// happens after a reveal; it does the scoring, the reveal rule, the statistics, the
// progress reports, cancel and deadline the same way for every layout.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/denoisable.h"
#include "engine/denoise/canvas_spec.h"

namespace infilld::engine {

struct InfillRequest;
struct DenoiseStats;

// The tokens a run works on, and its span [begin, end): where the middle is filled.
struct Canvas {
  std::vector<int32_t> tokens;
  int64_t begin = 0, end = 0;
};

// The part of the span a step reveals in.
struct Block {
  int64_t begin = 0, end = 0;
};

class CanvasLayout {
 public:
  virtual ~CanvasLayout() = default;

  // What the loop reads of every layout.
  std::vector<int32_t> stops;       // revealed in the span, they end the middle
  bool stop_leftmost_only = false;  // a stop is revealed only at its block's first masked position
  bool exit_on_stop = true;         // a final stop token ends the run (what follows it is cut)
  bool device_scoring = true;       // the device's forward_reveal can take its steps
  int64_t most_candidates = 0;      // the most masked positions one step scores
  int64_t steps_per_block = 1;
  int64_t longest = std::numeric_limits<int64_t>::max();  // the middle is cut to this length

  // Refuses a request this layout cannot honour, with a message that says what to change.
  virtual Status check(const Denoisable& model, const InfillRequest& request) const = 0;
  // The canvas before the first step; `block` an empty block at the span's start.
  virtual void lay_out(const InfillRequest& request, Canvas& canvas, Block& block) = 0;
  // Whether the span will grow (blocks not appended yet).
  virtual bool has_next(const Canvas& canvas) const = 0;
  // Moves `block` to the one after it (appending it where the layout grows); false at the end.
  virtual bool next_block(Canvas& canvas, Block& block) = 0;
  // The forward a step takes (the loop sets its head rows). `whole`: the rows of every
  // position of the span are wanted (the block's first step, a changed canvas, a deadline).
  virtual ForwardCall call(const Canvas& canvas, const Block& block, bool whole) = 0;
  // After a step's reveals (positions, any order): DreamOn's edits, counted in `stats`. True
  // when the canvas changed length (cached K/V no longer line up).
  virtual bool after_reveal(Canvas& canvas, Block& block, std::span<const int64_t> revealed, DenoiseStats& stats) {
    return false;
  }
  // A second token never chosen now, or -1 (DreamOn's expand once the span is at its longest).
  virtual int32_t also_excluded(const Canvas& canvas) const { return -1; }
};

// The layout of `spec`'s family for one request.
std::unique_ptr<CanvasLayout> make_layout(const CanvasSpec& spec, const DecodeOptions& options);

// The two layouts (full_canvas_layout.cpp, fim_layout.cpp).
std::unique_ptr<CanvasLayout> make_full_canvas_layout(const CanvasSpec& spec, const DecodeOptions& options);
std::unique_ptr<CanvasLayout> make_fim_layout(const CanvasSpec& spec, const DecodeOptions& options);

}  // namespace infilld::engine
