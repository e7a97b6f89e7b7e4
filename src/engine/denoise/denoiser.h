// The denoising loop: lay prefix + masks + suffix on a canvas in the family's convention,
// then forward -> score -> reveal until the span is filled.
//
// Which thread may call what: denoise() runs on the engine worker thread (it calls the
// model); `cancel` may be set from any thread; `on_update` is called on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/denoise/decode_options.h"
#include "engine/models/model_config.h"
#include "engine/models/transformer.h"
#include "kernels/cpu/reveal.h"

namespace infilld::engine {

struct RevealStep;
struct Revealed;

// What the denoiser needs of a model: logits [T, n_vocab] for a token sequence. The engine's
// Model is one (ModelDenoisable); tests script their own.
class Denoisable {
 public:
  virtual ~Denoisable() = default;
  virtual int64_t n_vocab() const = 0;
  virtual Status forward(std::span<const int32_t> tokens, std::vector<float>& logits) = 0;

  // Full forwards of several canvases in one pass (weights streamed once for all);
  // logits[i] receives canvas i's [T_i, n_vocab]. By default, one forward after another.
  virtual Status forward_batch(std::span<const std::span<const int32_t>> canvases,
                               std::span<std::vector<float>*> logits) {
    for (size_t i = 0; i < canvases.size(); ++i) INFILLD_TRY(forward(canvases[i], *logits[i]));
    return Status::ok();
  }

  // For the approximate caches (CacheMode::Prefix and Dual): logits of rows [r0, r1) only,
  // [r1 - r0, n_vocab]. The full range (0, T) refills `cache`; a partial range recomputes its
  // rows against the cached K/V of the others (and updates its own rows). Each request owns
  // its cache, so the requests of a batch do not disturb one another.
  // For block-causal models (the infilld FIM format): the logits of the rows of `tokens`
  // from the first one the model's exact context cache does not hold; `reused` receives
  // that row's position (row i of logits is position reused + i).
  virtual Status forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask,
                                     std::vector<float>& logits, int64_t& reused) {
    return error("this model has no exact context cache (it is not an infilld FIM model)");
  }

  virtual bool supports_kv_cache() const { return false; }
  virtual Status forward_cached(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                                std::vector<float>& logits) {
    return error("this model has no K/V cache: use cache mode none");
  }

  // Scoring on the model's device (the CUDA backend), for the requests it can take:
  // forward_reveal() runs the forward that forward() (cache null) or forward_cached() would,
  // but the LM head runs only on the rows that predict step.positions, x0 and its score are
  // computed there, the step's rule picks the revealed ones there, and only those come back.
  virtual bool reveals_on_device(const DecodeOptions& options) const { return false; }
  virtual Status forward_reveal(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache* cache,
                                const RevealStep& step, std::vector<Revealed>& revealed) {
    return error("this model scores on the host");
  }
};

// One step of device-side scoring (Denoisable::forward_reveal).
struct RevealStep {
  std::span<const int64_t> positions;  // the masked positions scored (canvas indices), ascending
  bool shifted = false;                // the row of position p - 1 predicts position p
  Policy policy = Policy::Confidence;  // not Random (its scores are the host's generator's)
  int32_t excluded[2] = {-1, -1};      // ids never chosen
  int64_t n_choosable = 0;             // 0: every logit
  kernels::RevealChoice choice;        // which of them are revealed (engine/denoise/schedule.h)
};

// A position a device step revealed, best score first.
struct Revealed {
  int64_t position = 0;
  int32_t token = 0;
};

// The family's canvas convention, from the checkpoint's files (never hard-coded ids).
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
  // denoised against the exact context cache (denoise_fim) until one holds <|eom|>.
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
};

struct InfillResult {
  std::vector<int32_t> tokens;  // the middle, cut before the first stop token
  FinishReason finish = FinishReason::Length;
  DenoiseStats stats;
};

Expected<InfillResult> denoise(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request);

// The infilld FIM loop (spec.fim set; denoise() and denoise_batch() call it): blocks of
// masks after the context, each revealed over its steps (the schedule's even split, or the
// threshold/factor rules) with the policy's scores, the context's K/V reused exactly; ends
// at the block holding <|eom|> (cut there, finish Stop) or at max_tokens (Length).
Expected<InfillResult> denoise_fim(Denoisable& model, const CanvasSpec& spec, const InfillRequest& request);

// Several requests at once: they advance in lockstep, the canvases of those without a cache
// mode computed in one batched forward per step; each finishes on its own (its stop,
// deadline or cancel). The results are those denoise() gives one by one. Requests with a
// cache mode run their forwards alone (their model-side K/V cache is per run).
std::vector<Expected<InfillResult>> denoise_batch(Denoisable& model, const CanvasSpec& spec,
                                                  std::span<const InfillRequest> requests);

}  // namespace infilld::engine
