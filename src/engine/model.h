// A loaded model: its checkpoint (mapped), hyper-parameters, bound weights and tokenizer.
//
// Which thread may call what: load() anywhere; forward() only from the engine worker
// thread that owns the model (DESIGN.md section 3).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/checkpoint/checkpoint.h"
#include "engine/context_cache.h"
#include "engine/denoise/denoiser.h"
#include "engine/models/model_config.h"
#include "engine/models/transformer.h"

namespace infilld::engine {

class Tokenizer;

struct LoadOptions {
  bool weights = true;  // false: config and tokenizer only (tokenize, and info without a weight check)
  // Runs the network under another attention mask than its family's (the autoregressive
  // baseline of a network; tests of the causal context cache).
  std::optional<MaskKind> attention;
};

class Model {
 public:
  static Expected<Model> load(const std::filesystem::path& dir, LoadOptions options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelConfig& config() const { return config_; }
  const Checkpoint& checkpoint() const { return checkpoint_; }
  // nullptr when the folder has no tokenizer files.
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  bool has_weights() const { return has_weights_; }
  // The bound weights (pointing into the checkpoint's mapping); empty without weights.
  const TransformerWeights& weights() const { return weights_; }

  // logits [T, n_vocab] for `tokens` at positions 0..T-1 with the model's own mask kind.
  Status forward(std::span<const int32_t> tokens, std::vector<float>& logits) const;
  // The same under an explicit mask (block-causal with its context and block lengths).
  Status forward(std::span<const int32_t> tokens, const AttentionMask& mask, std::vector<float>& logits) const;
  // Several sequences in one pass (see forward_sequences in models/transformer.h).
  Status forward_batch(std::span<const std::span<const int32_t>> sequences, std::span<std::vector<float>*> logits) const;
  // Logits of the rows of `tokens` that `cache` does not already hold (causal and
  // block-causal models): rows [reused, T) where reused = reusable_rows(cache.tokens(), tokens, mask). Exact.
  // `reused` receives that row count, so row i of logits is position reused + i.
  Status forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask, ContextCache& cache,
                             std::vector<float>& logits, int64_t& reused) const;
  // Rows [r0, r1) against a K/V cache (see forward_rows in models/transformer.h).
  Status forward_rows(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                      std::vector<float>& logits) const;

  // Parameters and bytes of the stored tensors (0 without weights).
  int64_t n_parameters() const;
  int64_t n_weight_bytes() const;

 private:
  Model() = default;

  Checkpoint checkpoint_;
  ModelConfig config_;
  TransformerWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  bool has_weights_ = false;
};

// The denoiser's view of a loaded model.
class ModelDenoisable : public Denoisable {
 public:
  explicit ModelDenoisable(const Model& model) : model_(model) {}
  int64_t n_vocab() const override { return model_.config().n_vocab; }
  Status forward(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    return model_.forward(tokens, logits);
  }
  Status forward_batch(std::span<const std::span<const int32_t>> canvases,
                       std::span<std::vector<float>*> logits) override {
    return model_.forward_batch(canvases, logits);
  }
  // The exact context cache lives here, with the worker that owns this object: successive
  // requests (the user typing at the cursor) reuse each other's context.
  Status forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask,
                             std::vector<float>& logits, int64_t& reused) override {
    return model_.forward_incremental(tokens, mask, context_cache_, logits, reused);
  }
  bool supports_kv_cache() const override { return model_.config().attention == MaskKind::Full; }
  Status forward_cached(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                        std::vector<float>& logits) override {
    return model_.forward_rows(tokens, r0, r1, cache, logits);
  }

 private:
  const Model& model_;
  ContextCache context_cache_;
};

}  // namespace infilld::engine
