#include "engine/models/tensor_names.h"

namespace infilld::engine {

namespace {

struct NameRow {
  TensorRole role;
  std::string_view qwen2;  // Dream, Dream-Coder, DiffuCoder, DreamOn, Open-dCoder
  std::string_view llada;
};

// The published names (checked against the real model.safetensors.index.json files in tests).
constexpr NameRow kNames[] = {
    {TensorRole::TokenEmbedding, "model.embed_tokens.weight", "model.transformer.wte.weight"},
    {TensorRole::AttnNorm, "model.layers.{L}.input_layernorm.weight", "model.transformer.blocks.{L}.attn_norm.weight"},
    {TensorRole::Q, "model.layers.{L}.self_attn.q_proj.weight", "model.transformer.blocks.{L}.q_proj.weight"},
    {TensorRole::K, "model.layers.{L}.self_attn.k_proj.weight", "model.transformer.blocks.{L}.k_proj.weight"},
    {TensorRole::V, "model.layers.{L}.self_attn.v_proj.weight", "model.transformer.blocks.{L}.v_proj.weight"},
    {TensorRole::QBias, "model.layers.{L}.self_attn.q_proj.bias", "model.transformer.blocks.{L}.q_proj.bias"},
    {TensorRole::KBias, "model.layers.{L}.self_attn.k_proj.bias", "model.transformer.blocks.{L}.k_proj.bias"},
    {TensorRole::VBias, "model.layers.{L}.self_attn.v_proj.bias", "model.transformer.blocks.{L}.v_proj.bias"},
    {TensorRole::AttnOut, "model.layers.{L}.self_attn.o_proj.weight", "model.transformer.blocks.{L}.attn_out.weight"},
    {TensorRole::FfnNorm, "model.layers.{L}.post_attention_layernorm.weight", "model.transformer.blocks.{L}.ff_norm.weight"},
    {TensorRole::Gate, "model.layers.{L}.mlp.gate_proj.weight", "model.transformer.blocks.{L}.ff_proj.weight"},
    {TensorRole::Up, "model.layers.{L}.mlp.up_proj.weight", "model.transformer.blocks.{L}.up_proj.weight"},
    {TensorRole::Down, "model.layers.{L}.mlp.down_proj.weight", "model.transformer.blocks.{L}.ff_out.weight"},
    {TensorRole::FinalNorm, "model.norm.weight", "model.transformer.ln_f.weight"},
    {TensorRole::LmHead, "lm_head.weight", "model.transformer.ff_out.weight"},
};

}  // namespace

std::string tensor_name(Architecture arch, TensorRole role, int64_t layer) {
  for (const NameRow& row : kNames) {
    if (row.role != role) continue;
    std::string name(arch == Architecture::LLaDA ? row.llada : row.qwen2);
    if (auto at = name.find("{L}"); at != std::string::npos) name.replace(at, 3, std::to_string(layer));
    return name;
  }
  return {};
}

}  // namespace infilld::engine
