// How many masked positions a step reveals: the pure arithmetic of the schedules and of
// Fast-dLLM's parallel decoding rules, kept apart from the loop so tests can pin it down.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/denoise/decode_options.h"
#include "kernels/cpu/reveal.h"

namespace infilld::engine {

// Dream's timestep schedule: at step j of n_steps, with t = 1 + (eps - 1) j / n_steps and
// s = 1 + (eps - 1) (j + 1) / n_steps, reveal floor(n_masked (1 - s / t)); everything at the
// last step.
int64_t timestep_count(int64_t n_masked, int64_t j, int64_t n_steps, double eps);

// LLaDA's even split of n masks over n_steps: n / n_steps each, the remainder to the first.
std::vector<int64_t> even_split(int64_t n, int64_t n_steps);

// A step's reveal rule, decided once for every path (the host loops and the device's
// forward_reveal): Fast-dLLM's threshold or factor when the options set one, else the
// schedule's count `scheduled`. kernels::reveal_count() applies it to sorted scores.
kernels::RevealChoice reveal_choice(const DecodeOptions& options, int64_t scheduled);

}  // namespace infilld::engine
