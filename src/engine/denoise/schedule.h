// How many masked positions a step reveals: the pure arithmetic of the schedules and of
// Fast-dLLM's parallel decoding rules, kept apart from the loop so tests can pin it down.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace infilld::engine {

// Dream's timestep schedule: at step j of n_steps, with t = 1 + (eps - 1) j / n_steps and
// s = 1 + (eps - 1) (j + 1) / n_steps, reveal floor(n_masked (1 - s / t)); everything at the
// last step.
int64_t timestep_count(int64_t n_masked, int64_t j, int64_t n_steps, double eps);

// LLaDA's even split of n masks over n_steps: n / n_steps each, the remainder to the first.
std::vector<int64_t> even_split(int64_t n, int64_t n_steps);

// Threshold decoding: how many of the scores (sorted descending) are >= tau; at least one.
int64_t threshold_count(std::span<const double> sorted_desc, double tau);

// Factor decoding: the largest n with c_i >= 1 - factor / (i + 1) for all i in 1..n (scores
// sorted descending, 1-based); at least one.
int64_t factor_count(std::span<const double> sorted_desc, double factor);

}  // namespace infilld::engine
