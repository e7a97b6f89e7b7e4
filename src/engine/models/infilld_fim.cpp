// infilld's own format (DESIGN.md section 6, model_type "infilld_fim"): the Qwen2 network
// (q/k/v biases, RMSNorm, SwiGLU, RoPE) under block-causal attention, logits unshifted:
//
//   <|suffix|> S1..Sm <|prefix|> P1..Pn <|middle|> [block 1: L masks] [block 2] ...
//
// Context tokens attend causally (their K/V never depend on what follows: the context
// cache is exact, and with the suffix first, typing at the cursor only appends); a block
// attends to the context, to earlier blocks and to all of itself. <|eom|> ends the middle.
// The tensor names are Qwen2's (models/tensor_names.cpp).
#include "engine/models/architecture.h"

namespace infilld::engine {

Expected<ModelConfig> read_infilld_fim_config(const nlohmann::json& config, const nlohmann::json& generation,
                                              const TokenLookup& lookup) {
  auto c = read_qwen2_layout(Architecture::InfilldFim, config);
  if (!c) return c;
  c->shifted_logits = false;
  c->attention = MaskKind::BlockCausal;
  ConfigReader r(config);
  auto block = r.positive("block_length");
  if (!block) return block.error();
  c->block_length = *block;
  resolve_special_tokens(*c, config, generation, lookup, {"<|mask|>"});
  auto pick = [&](std::string_view key, std::string_view name) -> int32_t {
    if (auto id = r.token_id(key)) return *id;
    if (lookup)
      if (auto id = lookup(name)) return *id;
    return -1;
  };
  c->tokens.fim_suffix = pick("suffix_token_id", "<|suffix|>");
  c->tokens.fim_prefix = pick("prefix_token_id", "<|prefix|>");
  c->tokens.fim_middle = pick("middle_token_id", "<|middle|>");
  c->tokens.eom = pick("eom_token_id", "<|eom|>");
  const std::pair<const char*, int32_t> required[] = {{"mask_token_id (<|mask|>)", c->tokens.mask},
                                                      {"suffix_token_id (<|suffix|>)", c->tokens.fim_suffix},
                                                      {"prefix_token_id (<|prefix|>)", c->tokens.fim_prefix},
                                                      {"middle_token_id (<|middle|>)", c->tokens.fim_middle},
                                                      {"eom_token_id (<|eom|>)", c->tokens.eom}};
  for (const auto& [what, id] : required) {
    if (id < 0) return error("config.json: an infilld_fim model needs ", what, " (in config.json or the tokenizer)");
    if (id >= c->n_vocab) return error("config.json: ", what, " = ", id, " is not below vocab_size ", c->n_vocab);
  }
  return c;
}

}  // namespace infilld::engine
