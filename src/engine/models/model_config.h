// Hyper-parameters of a loaded model, read from its config.json (and generation_config.json
// and tokenizer for special ids) by the architecture's own reader in this folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/attention_mask.h"

namespace infilld::engine {

enum class Architecture { Dream, Qwen2Mdm, LLaDA, InfilldFim };

std::string_view architecture_name(Architecture a);

// Special token ids; -1 when the checkpoint does not define one.
struct SpecialTokens {
  int32_t mask = -1;
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t pad = -1;
  int32_t expand = -1;  // DreamOn: one mask becomes two
  // The infilld FIM format (DESIGN.md section 6): the markers of its layout and the end of
  // the middle.
  int32_t fim_suffix = -1;
  int32_t fim_prefix = -1;
  int32_t fim_middle = -1;
  int32_t eom = -1;
};

struct ModelConfig {
  Architecture arch = Architecture::Dream;
  std::string model_type;  // as written in config.json

  int64_t n_vocab = 0;   // rows of the embedding and of the LM head
  int64_t n_embd = 0;    // hidden size
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t n_ff = 0;      // MLP intermediate size
  int64_t max_positions = 0;

  double rope_theta = 10000.0;
  double norm_eps = 1e-6;

  bool qkv_bias = false;
  bool tied_embeddings = false;
  // Shifted logits: the row of position i predicts position i + 1 (Dream family,
  // Open-dCoder); unshifted: row i predicts position i (LLaDA).
  bool shifted_logits = false;
  MaskKind attention = MaskKind::Full;
  int64_t block_length = 0;  // BlockCausal (infilld FIM): the masks decoded together

  SpecialTokens tokens;
};

}  // namespace infilld::engine
