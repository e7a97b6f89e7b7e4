// LLaDA (model_type "llada"): a Llama-like network with its own config spelling and tensor
// names (model.transformer.*), full attention, unshifted logits, mask token <|mdm_mask|>.
#include "engine/models/architecture.h"

namespace infilld::engine {

Expected<ModelConfig> read_llada_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup) {
  ConfigReader r(config);
  ModelConfig c;
  c.arch = Architecture::LLaDA;
  c.model_type = r.string("model_type").value_or("llada");
  auto n_embd = r.positive("d_model");
  auto n_layers = r.positive("n_layers");
  auto n_heads = r.positive("n_heads");
  auto n_ff = r.positive("mlp_hidden_size");
  for (const auto* field : {&n_embd, &n_layers, &n_heads, &n_ff})
    if (!*field) return field->error();
  c.n_embd = *n_embd;
  c.n_layers = *n_layers;
  c.n_heads = *n_heads;
  c.n_ff = *n_ff;
  // The embedding is padded to embedding_size when given; vocab_size is the tokenizer's.
  auto vocab = r.positive("vocab_size");
  if (!vocab) return vocab.error();
  auto n_vocab = r.positive_or("embedding_size", *vocab);
  auto n_kv = r.positive_or("n_kv_heads", c.n_heads);
  auto theta = r.number_or("rope_theta", 10000.0);
  auto eps = r.number_or("rms_norm_eps", 1e-5);
  auto tied = r.boolean_or("weight_tying", false);
  auto qkv_bias = r.boolean_or("include_qkv_bias", false);
  auto max_pos = r.positive_or("max_sequence_length", 4096);
  for (const Status& s : {n_vocab.status(), n_kv.status(), theta.status(), eps.status(), tied.status(),
                          qkv_bias.status(), max_pos.status()})
    if (!s) return Error{s.message()};
  c.n_vocab = *n_vocab;
  c.n_kv_heads = *n_kv;
  c.rope_theta = *theta;
  c.norm_eps = *eps;
  c.tied_embeddings = *tied;
  c.qkv_bias = *qkv_bias;
  c.max_positions = *max_pos;
  if (c.n_embd % c.n_heads != 0)
    return error("config.json: d_model ", c.n_embd, " is not divisible by num_attention_heads (n_heads) ", c.n_heads);
  c.head_dim = c.n_embd / c.n_heads;
  c.shifted_logits = false;
  c.attention = MaskKind::Full;
  // Options that would change the math: refuse rather than compute something else.
  INFILLD_TRY(r.require("block_type", "llama"));
  INFILLD_TRY(r.require("activation_type", "silu"));
  INFILLD_TRY(r.require("layer_norm_type", "rms"));
  INFILLD_TRY(r.require("rope", true));
  INFILLD_TRY(r.require("alibi", false));
  INFILLD_TRY(r.require("input_emb_norm", false));
  INFILLD_TRY(r.require("attention_layer_norm", false));
  INFILLD_TRY(r.require("scale_logits", false));
  INFILLD_TRY(r.require("include_bias", false));
  INFILLD_TRY(validate_dimensions(c));
  resolve_special_tokens(c, config, generation, lookup, {"<|mdm_mask|>"});
  return c;
}

}  // namespace infilld::engine
