// Dream (model_type "Dream"): Dream-v0, Dream-Coder-v0, DiffuCoder, DreamOn. A Qwen2.5
// network trained for masked diffusion: full attention, shifted logits, q/k/v biases,
// untied LM head, mask token <|mask|>; DreamOn adds <|expand|>.
#include "engine/models/architecture.h"

namespace infilld::engine {

Expected<ModelConfig> read_dream_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup) {
  auto c = read_qwen2_layout(Architecture::Dream, config);
  if (!c) return c;
  resolve_special_tokens(*c, config, generation, lookup, {"<|mask|>"});
  return c;
}

}  // namespace infilld::engine
