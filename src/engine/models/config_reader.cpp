#include "engine/models/config_reader.h"

namespace infilld::engine {

using nlohmann::json;

Expected<int64_t> ConfigReader::positive(std::string_view key) const {
  auto it = config_.find(key);
  if (it == config_.end()) return error("config.json: field \"", key, "\" is missing");
  if (!it->is_number_integer() || it->get<int64_t>() <= 0)
    return error("config.json: field \"", key, "\" must be a positive integer, found ", it->dump());
  return it->get<int64_t>();
}

Expected<int64_t> ConfigReader::positive_or(std::string_view key, int64_t fallback) const {
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return fallback;
  return positive(key);
}

Expected<double> ConfigReader::number_or(std::string_view key, double fallback) const {
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return fallback;
  if (!it->is_number() || !(it->get<double>() > 0))
    return error("config.json: field \"", key, "\" must be a positive number, found ", it->dump());
  return it->get<double>();
}

Expected<bool> ConfigReader::boolean_or(std::string_view key, bool fallback) const {
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return error("config.json: field \"", key, "\" must be true or false, found ", it->dump());
  return it->get<bool>();
}

namespace {

std::optional<int32_t> id_from(const json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  const json* v = &*it;
  if (v->is_array() && !v->empty()) v = &(*v)[0];
  if (!v->is_number_integer()) return std::nullopt;
  const int64_t id = v->get<int64_t>();
  if (id < 0 || id > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(id);
}

}  // namespace

std::optional<int32_t> ConfigReader::token_id(std::string_view key) const { return id_from(config_, key); }

std::optional<std::string> ConfigReader::string(std::string_view key) const {
  auto it = config_.find(key);
  if (it == config_.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Status ConfigReader::require(std::string_view key, const json& expected, bool absent_ok) const {
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) {
    if (absent_ok) return Status::ok();
    return error("config.json: field \"", key, "\" is missing (expected ", expected.dump(), ")");
  }
  if (*it != expected)
    return error("config.json: unsupported ", key, " = ", it->dump(), " (infilld implements ", expected.dump(), ")");
  return Status::ok();
}

Status validate_dimensions(const ModelConfig& c) {
  if (c.n_embd % c.n_heads != 0)
    return error("config.json: hidden size ", c.n_embd, " is not divisible by num_attention_heads ", c.n_heads);
  if (c.n_heads % c.n_kv_heads != 0)
    return error("config.json: num_attention_heads ", c.n_heads, " is not a multiple of the key/value heads ",
                 c.n_kv_heads);
  if (c.head_dim % 2 != 0) return error("config.json: head dimension ", c.head_dim, " must be even for RoPE");
  return Status::ok();
}

void resolve_special_tokens(ModelConfig& c, const json& config, const json& generation, const TokenLookup& lookup,
                            std::initializer_list<std::string_view> mask_names) {
  auto pick = [&](std::string_view key, std::initializer_list<std::string_view> names) -> int32_t {
    if (auto id = id_from(config, key)) return *id;
    if (auto id = id_from(generation, key)) return *id;
    if (lookup)
      for (std::string_view name : names)
        if (auto id = lookup(name)) return *id;
    return -1;
  };
  c.tokens.mask = pick("mask_token_id", mask_names);
  c.tokens.bos = pick("bos_token_id", {});
  c.tokens.eos = pick("eos_token_id", {"<|endoftext|>"});
  c.tokens.pad = pick("pad_token_id", {});
  c.tokens.expand = pick("expand_token_id", {"<|expand|>"});
}

}  // namespace infilld::engine
