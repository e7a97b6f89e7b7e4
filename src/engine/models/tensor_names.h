// The one table of tensor names: for each architecture, the checkpoint name of every
// weight role. "{L}" stands for the layer index.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/models/model_config.h"

namespace infilld::engine {

enum class TensorRole {
  TokenEmbedding,
  AttnNorm,
  Q,
  K,
  V,
  QBias,
  KBias,
  VBias,
  AttnOut,
  FfnNorm,
  Gate,
  Up,
  Down,
  FinalNorm,
  LmHead,
};

// The name of `role` in layer `layer` (ignored for global roles) of `arch`.
std::string tensor_name(Architecture arch, TensorRole role, int64_t layer = 0);

}  // namespace infilld::engine
