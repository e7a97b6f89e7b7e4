// --device auto|cpu|cuda and --quantize none|q8 for the commands that run a model (complete
// reads them through the settings table; bench, forward and info here).
#pragma once

#include <string>
#include <string_view>

#include "cli/flags.h"
#include "engine/backend.h"
#include "engine/model.h"

namespace infilld::cli {

// The backend --device asks for (auto when absent), for `bench`, which times the model's
// forward itself (`complete` goes through completion::LocalBackend). With auto, a CUDA
// build that falls back to the CPU says why (note_cpu_fallback).
Expected<engine::Backend> backend_for(const Flags& flags, const engine::Model& model);

// The model's load options that --quantize asks for (none when absent).
Expected<engine::LoadOptions> load_options(const Flags& flags);

// On stderr, why device `asked` ("auto") runs on the CPU in a build with CUDA (a GPU that
// is present but too small, say): `reason` is make_backend's fallback reason. Silent when
// nothing was asked of a GPU, or none is visible.
void note_cpu_fallback(std::string_view asked, const std::string& reason);

}  // namespace infilld::cli
