// Qwen2 masked-diffusion models (model_type "qwen2" with a mask token): Open-dCoder.
// The Qwen2 network with tied embeddings by default, full attention, shifted logits. A
// "qwen2" folder without a mask token is an autoregressive model, which infilld does not
// run as a denoiser: it says so instead of producing nonsense.
#include "engine/models/architecture.h"

namespace infilld::engine {

Expected<ModelConfig> read_qwen2_mdm_config(const nlohmann::json& config, const nlohmann::json& generation,
                                            const TokenLookup& lookup) {
  auto c = read_qwen2_layout(Architecture::Qwen2Mdm, config);
  if (!c) return c;
  resolve_special_tokens(*c, config, generation, lookup, {"<M>", "<|mask|>", "<|mdm_mask|>", "[MASK]"});
  if (c->tokens.mask < 0)
    return error("config.json: model_type \"qwen2\" without a mask token (no mask_token_id, and no <M> or "
                 "<|mask|> in the tokenizer): this looks like an autoregressive Qwen2 model, not a "
                 "masked-diffusion one");
  return c;
}

}  // namespace infilld::engine
