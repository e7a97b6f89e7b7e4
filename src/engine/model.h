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
#include "engine/denoisable.h"
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

  // The forward (models/transformer.h's, on the bound weights): several sequences stacked.
  Status forward(std::span<const SequenceRows> sequences, const AttentionMask& mask,
                 std::span<Logits* const> out) const;
  // Every row of `tokens` under `mask` (infilld forward, tests).
  Status forward(std::span<const int32_t> tokens, const AttentionMask& mask, Logits& out) const;
  // The family's own mask (full, causal or block-causal without a context).
  AttentionMask own_mask() const { return AttentionMask{config_.attention}; }

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

// The denoiser's view of a loaded model on the CPU. The exact context cache lives here, with
// the worker that owns this object: successive requests (the user typing at the cursor)
// reuse each other's context.
class ModelDenoisable : public Denoisable {
 public:
  explicit ModelDenoisable(const Model& model) : model_(model) {}
  int64_t n_vocab() const override { return model_.config().n_vocab; }
  bool has_cache(ForwardCall::Cache cache) const override {
    return has_cache_for(model_.config().attention, cache);
  }

 protected:
  Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) override;

 private:
  Status run_in_context(const ForwardCall& call, Logits& out);

  const Model& model_;
  ContextCache context_cache_;
};

}  // namespace infilld::engine
