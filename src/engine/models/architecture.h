// Which architecture a checkpoint is, and its hyper-parameters. Each architecture has its
// own reader in this folder (dream.cpp, qwen2_mdm.cpp, llada.cpp); the forward pass they
// share is transformer.cpp, since all three are the same pre-norm decoder stack and differ
// only in names, biases, the logit shift and config spelling.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/models/config_reader.h"
#include "engine/models/model_config.h"

namespace infilld::engine {

// Dispatches on config.json's model_type.
Expected<ModelConfig> read_model_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup);

Expected<ModelConfig> read_dream_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup);
Expected<ModelConfig> read_qwen2_mdm_config(const nlohmann::json& config, const nlohmann::json& generation,
                                            const TokenLookup& lookup);
Expected<ModelConfig> read_llada_config(const nlohmann::json& config, const nlohmann::json& generation,
                                        const TokenLookup& lookup);

Expected<ModelConfig> read_infilld_fim_config(const nlohmann::json& config, const nlohmann::json& generation,
                                              const TokenLookup& lookup);
// Shared by the Qwen2-layout readers (Dream and Open-dCoder spell their configs alike).
Expected<ModelConfig> read_qwen2_layout(Architecture arch, const nlohmann::json& config);

}  // namespace infilld::engine
