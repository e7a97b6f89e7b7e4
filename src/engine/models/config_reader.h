// Reading hyper-parameters from config.json with errors that name the field and the file.
// Shared by the architecture readers (dream.cpp, qwen2_mdm.cpp, llada.cpp).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/models/model_config.h"

namespace infilld::engine {

// Looks a token string up in the checkpoint's tokenizer; nullopt when absent or when the
// folder has no tokenizer.
using TokenLookup = std::function<std::optional<int32_t>(std::string_view)>;

class ConfigReader {
 public:
  explicit ConfigReader(const nlohmann::json& config) : config_(config) {}

  // A positive integer field; an error names it when absent or invalid.
  Expected<int64_t> positive(std::string_view key) const;
  // A positive integer field, or `fallback` when absent.
  Expected<int64_t> positive_or(std::string_view key, int64_t fallback) const;
  Expected<double> number_or(std::string_view key, double fallback) const;
  Expected<bool> boolean_or(std::string_view key, bool fallback) const;
  // A token id: an integer, or the first of a list (eos_token_id may be a list).
  std::optional<int32_t> token_id(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;
  // Refuses a field whose value would change the math we implement.
  Status require(std::string_view key, const nlohmann::json& expected, bool absent_ok = true) const;

 private:
  const nlohmann::json& config_;
};

// Checks the attention dimensions: heads divide the hidden size, kv heads divide heads,
// an even head_dim (RoPE rotates halves).
Status validate_dimensions(const ModelConfig& c);

// Fills c.tokens: the config first, then generation_config.json, then the tokenizer by the
// token names the family uses. Never hard-coded ids.
void resolve_special_tokens(ModelConfig& c, const nlohmann::json& config, const nlohmann::json& generation,
                            const TokenLookup& lookup, std::initializer_list<std::string_view> mask_names);

}  // namespace infilld::engine
