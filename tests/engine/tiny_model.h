// A tiny random Dream-architecture checkpoint written by the test itself (config.json and
// a model.safetensors in F32 or BF16, no tokenizer), for engine tests that need real weights without
// Python. The Python tools make the checkpoints of the parity tests; this one only needs to
// be a valid model.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace infilld::test {

// `overrides` are laid over config.json (e.g. {"model_type": "infilld_fim", ...}: the same
// Qwen2 tensors serve our own format); a "vocab_size" there also sizes the embedding and
// the LM head (48 rows otherwise). `bf16`: the tensors stored in BF16 (rounded to nearest
// even) instead of F32.
inline std::filesystem::path write_tiny_dream(const std::string& folder, uint32_t seed = 1,
                                              const nlohmann::json& overrides = nlohmann::json::object(),
                                              bool bf16 = false) {
  namespace fs = std::filesystem;
  const int64_t V = overrides.value("vocab_size", int64_t{48}), H = 32, L = 2, A = 4, K = 2, D = H / A, F = 64;
  const fs::path dir = fs::temp_directory_path() / ("infilld-test-" + folder);
  fs::create_directories(dir);
  nlohmann::json config = {{"model_type", "Dream"},     {"vocab_size", V},      {"hidden_size", H},
                           {"num_hidden_layers", L},    {"num_attention_heads", A}, {"num_key_value_heads", K},
                           {"intermediate_size", F},    {"rms_norm_eps", 1e-6}, {"rope_theta", 10000.0},
                           {"tie_word_embeddings", false}, {"mask_token_id", V - 1}, {"bos_token_id", 0},
                           {"eos_token_id", 1},         {"pad_token_id", 1},    {"hidden_act", "silu"}};
  config.update(overrides);
  std::ofstream(dir / "config.json") << config.dump(2);

  std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {{"model.embed_tokens.weight", {V, H}}};
  for (int64_t l = 0; l < L; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    specs.push_back({p + "input_layernorm.weight", {H}});
    specs.push_back({p + "self_attn.q_proj.weight", {A * D, H}});
    specs.push_back({p + "self_attn.q_proj.bias", {A * D}});
    specs.push_back({p + "self_attn.k_proj.weight", {K * D, H}});
    specs.push_back({p + "self_attn.k_proj.bias", {K * D}});
    specs.push_back({p + "self_attn.v_proj.weight", {K * D, H}});
    specs.push_back({p + "self_attn.v_proj.bias", {K * D}});
    specs.push_back({p + "self_attn.o_proj.weight", {H, A * D}});
    specs.push_back({p + "post_attention_layernorm.weight", {H}});
    specs.push_back({p + "mlp.gate_proj.weight", {F, H}});
    specs.push_back({p + "mlp.up_proj.weight", {F, H}});
    specs.push_back({p + "mlp.down_proj.weight", {H, F}});
  }
  specs.push_back({"model.norm.weight", {H}});
  specs.push_back({"lm_head.weight", {V, H}});

  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  nlohmann::json header = nlohmann::json::object();
  std::vector<float> data;
  const size_t element = bf16 ? 2 : 4;
  for (const auto& [name, shape] : specs) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const bool norm = name.find("norm") != std::string::npos;
    const float scale = shape.size() == 2 ? 1.0f / std::sqrt(float(shape[1])) : 0.1f;
    const size_t begin = data.size() * element;
    for (int64_t i = 0; i < n; ++i) data.push_back(norm ? 1.0f + 0.1f * normal(rng) : scale * normal(rng));
    header[name] = {{"dtype", bf16 ? "BF16" : "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size() * element}}};
  }
  std::vector<uint16_t> halves;
  for (float v : data) {  // BF16: the top half of the float32, rounded to nearest even
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    halves.push_back(static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  const uint64_t len = text.size();
  char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out.write(len_bytes, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (bf16) {
    out.write(reinterpret_cast<const char*>(halves.data()), static_cast<std::streamsize>(halves.size() * 2));
  } else {
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * 4));
  }
  return dir;
}

}  // namespace infilld::test
