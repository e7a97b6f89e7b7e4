#include "engine/models/architecture.h"

namespace infilld::engine {

std::string_view architecture_name(Architecture a) {
  switch (a) {
    case Architecture::Dream: return "dream";
    case Architecture::Qwen2Mdm: return "qwen2_mdm";
    case Architecture::LLaDA: return "llada";
    case Architecture::InfilldFim: return "infilld_fim";
  }
  return "?";
}

Expected<ModelConfig> read_model_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup) {
  auto type_it = config.find("model_type");
  if (type_it == config.end() || !type_it->is_string())
    return error("config.json: no \"model_type\" string (is this a Hugging Face model config?)");
  const std::string type = type_it->get<std::string>();
  if (type == "Dream" || type == "dream") return read_dream_config(config, generation, lookup);
  if (type == "qwen2" || type == "qwen2_mdm") return read_qwen2_mdm_config(config, generation, lookup);
  if (type == "llada" || type == "LLaDA") return read_llada_config(config, generation, lookup);
  if (type == "infilld_fim") return read_infilld_fim_config(config, generation, lookup);
  return error("config.json: unknown model_type \"", type,
               "\" (infilld runs \"Dream\" (Dream, Dream-Coder, DiffuCoder, DreamOn), \"qwen2\" masked-diffusion "
               "models (Open-dCoder), \"llada\" and our own \"infilld_fim\")");
}

Expected<ModelConfig> read_qwen2_layout(Architecture arch, const nlohmann::json& config) {
  ConfigReader r(config);
  ModelConfig c;
  c.arch = arch;
  c.model_type = r.string("model_type").value_or("");
  auto n_vocab = r.positive("vocab_size");
  auto n_embd = r.positive("hidden_size");
  auto n_layers = r.positive("num_hidden_layers");
  auto n_heads = r.positive("num_attention_heads");
  auto n_ff = r.positive("intermediate_size");
  for (const auto* field : {&n_vocab, &n_embd, &n_layers, &n_heads, &n_ff})
    if (!*field) return field->error();
  c.n_vocab = *n_vocab;
  c.n_embd = *n_embd;
  c.n_layers = *n_layers;
  c.n_heads = *n_heads;
  c.n_ff = *n_ff;
  auto n_kv = r.positive_or("num_key_value_heads", c.n_heads);
  if (!n_kv) return n_kv.error();
  c.n_kv_heads = *n_kv;
  if (c.n_embd % c.n_heads != 0)
    return error("config.json: hidden_size ", c.n_embd, " is not divisible by num_attention_heads ", c.n_heads);
  c.head_dim = c.n_embd / c.n_heads;
  auto theta = r.number_or("rope_theta", 10000.0);
  auto eps = r.number_or("rms_norm_eps", 1e-6);
  auto tied = r.boolean_or("tie_word_embeddings", false);
  auto max_pos = r.positive_or("max_position_embeddings", 32768);
  for (const Status& s : {theta.status(), eps.status(), tied.status(), max_pos.status()})
    if (!s) return Error{s.message()};
  c.rope_theta = *theta;
  c.norm_eps = *eps;
  c.tied_embeddings = *tied;
  c.max_positions = *max_pos;
  c.qkv_bias = true;  // Qwen2 attention always has q/k/v biases
  c.shifted_logits = true;
  c.attention = MaskKind::Full;
  // Options that would change the math: refuse rather than compute something else.
  INFILLD_TRY(r.require("hidden_act", "silu"));
  INFILLD_TRY(r.require("rope_scaling", nullptr));
  INFILLD_TRY(r.require("use_sliding_window", false));
  INFILLD_TRY(r.require("use_mrope", false));
  INFILLD_TRY(validate_dimensions(c));
  return c;
}

}  // namespace infilld::engine
