// Which scored positions a denoising step reveals: the candidates ordered by score (highest
// first, the lower index first among equals), then a count by the step's rule. The one
// function both decode paths use (the host loop and, for its tests, the CUDA backend's
// forward_reveal); CPU twin of kernels/cuda/select.h's select_reveal().
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/cpu/reveal_rule.h"

namespace infilld::kernels {

// Indices of `scores`, highest first, the lower index first among equals (a stable order).
std::vector<int64_t> reveal_order(std::span<const double> scores);

// How many of `sorted_desc` the choice reveals, at most all: Count its count (a schedule may
// reveal none at a step); Threshold and Factor at least one.
int64_t reveal_count(const RevealChoice& choice, std::span<const double> sorted_desc);

}  // namespace infilld::kernels
