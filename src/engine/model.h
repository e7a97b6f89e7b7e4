// A loaded model: its checkpoint (mapped), hyper-parameters, bound weights and tokenizer.
//
// Which thread may call what: load() anywhere; forward() only from the engine worker
// thread that owns the model (DESIGN.md section 3).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/checkpoint/checkpoint.h"
#include "engine/context_cache.h"
#include "engine/cpu_weights.h"
#include "engine/denoisable.h"
#include "engine/models/model_config.h"
#include "engine/models/transformer.h"

namespace infilld::engine {

class Tokenizer;

// How the CPU holds the weights: as stored (mapped from the checkpoint), or quantized at
// load to 8 bits (Q8_0, kernels/cpu/quantize.h: about half of BF16's memory).
enum class Quantization { None, Q8 };
Expected<Quantization> parse_quantization(std::string_view name);  // "none", "q8"
std::string_view quantization_name(Quantization q);

struct LoadOptions {
  bool weights = true;  // false: config and tokenizer only (tokenize, and info without a weight check)
  // Q8: every matrix whose rows are whole blocks of 32 is quantized at load, and its mapped
  // pages leave resident memory; norms stay float32. For the CPU backend only.
  Quantization quantize = Quantization::None;
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
  Quantization quantization() const { return quantization_; }
  // Bytes of the weights the forward reads, in the form it reads them (quantized or as
  // stored; a tied embedding once).
  int64_t n_resident_weight_bytes() const;

 private:
  Model() = default;
  void quantize_q8();

  Checkpoint checkpoint_;
  ModelConfig config_;
  TransformerWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  bool has_weights_ = false;
  Quantization quantization_ = Quantization::None;
  std::vector<std::vector<std::byte>> quantized_;  // the Q8_0 blocks that weights_ points into
};

// The denoiser's view of a loaded model on the CPU. The exact context caches live here, with
// the worker that owns this object: successive requests (the user typing at the cursor)
// reuse each other's context, and requests batched together each have a cache of their
// own, their context-cache calls stacked in one forward.
class ModelDenoisable : public Denoisable {
 public:
  // Lays out the model's weights for this CPU (cpu_weights.h).
  explicit ModelDenoisable(const Model& model);
  int64_t n_vocab() const override { return model_.config().n_vocab; }
  bool has_cache(ForwardCall::Cache cache) const override {
    return has_cache_for(model_.config().attention, cache);
  }
  // One per request of a full batch (engine/worker.h).
  static constexpr int64_t kContextSlots = 8;
  int64_t context_slots() const override { return kContextSlots; }

 protected:
  Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) override;

 private:
  struct Slot {
    ContextCache cache;
    uint64_t last_used = 0;
  };
  // The slot for a call: of those not `taken` by this forward, the one that holds the most of
  // its rows, then the least recently used; with the rows it keeps.
  Expected<std::pair<Slot*, int64_t>> pick_slot(const ForwardCall& call, const AttentionMask& mask,
                                                std::span<Slot* const> taken);

  const Model& model_;
  CpuWeights weights_;
  std::vector<Slot> slots_ = std::vector<Slot>(kContextSlots);
  uint64_t clock_ = 0;  // counts forwards, for last_used
};

}  // namespace infilld::engine
