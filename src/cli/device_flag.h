// --device auto|cpu|cuda for the commands that run a model (complete, bench).
#pragma once

#include "cli/flags.h"
#include "engine/backend.h"
#include "engine/model.h"

namespace infilld::cli {

// The backend --device asks for (auto when absent). With auto, a CUDA build that falls back
// to the CPU says why on stderr (a GPU that is present but too small, say).
Expected<engine::Backend> backend_for(const Flags& flags, const engine::Model& model);

}  // namespace infilld::cli
