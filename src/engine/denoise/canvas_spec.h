// A model family's canvas convention (DESIGN.md section 6): which token masks a position,
// what goes around the prefix and suffix, which tokens end the middle, and for the infilld
// FIM format its markers and block length. Read from the checkpoint's files, never
// hard-coded ids.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/denoise/decode_options.h"
#include "engine/models/model_config.h"

namespace infilld::engine {

// The canvas convention of one model.
struct CanvasSpec {
  int32_t mask = -1;
  int32_t bos = -1;     // put before the prefix when >= 0
  int32_t eos = -1;     // put after the suffix when >= 0
  // DreamOn: revealed, the slot becomes two masks; and then an end-of-text revealed in a
  // slot deletes the slot instead of ending the middle. -1: a fixed-length canvas.
  int32_t expand = -1;
  std::vector<int32_t> stop;  // revealed in the span, they end the completion
  bool shifted = false;       // the row of position i - 1 predicts position i
  // The infilld FIM layout (DESIGN.md section 6) when set: <|suffix|> S <|prefix|> P
  // <|middle|>, then blocks of `block_length` masks appended one after another, each
  // denoised against the exact context cache (fim_layout.cpp) until one holds <|eom|>.
  struct Fim {
    int32_t suffix = -1, prefix = -1, middle = -1, eom = -1;
    int64_t block_length = 0;
  };
  std::optional<Fim> fim;
  // Only ids below this are ever chosen: the tokenizer's ids. Checkpoints pad their
  // embedding past the vocabulary (Qwen2.5: 152064 rows for 151665 tokens); a padded row
  // decodes to nothing. 0: every logit row entry.
  int64_t n_choosable = 0;
};

// n_tokens: the tokenizer's id count (0 when the model has no tokenizer).
CanvasSpec canvas_spec(const ModelConfig& config, int64_t n_tokens);

// The positions a canvas takes besides its prefix and suffix, at most: the family's marker
// tokens and the span (DreamOn: the longest it may grow; infilld FIM: three markers and
// whole blocks). What a prompt must leave free of the model's max_positions.
int64_t canvas_overhead(const CanvasSpec& spec, const DecodeOptions& options);

}  // namespace infilld::engine
