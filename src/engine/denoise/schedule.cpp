#include "engine/denoise/schedule.h"

#include <algorithm>
#include <cmath>

namespace infilld::engine {

int64_t timestep_count(int64_t n_masked, int64_t j, int64_t n_steps, double eps) {
  if (j >= n_steps - 1) return n_masked;
  const double t = 1.0 + (eps - 1.0) * static_cast<double>(j) / static_cast<double>(n_steps);
  const double s = 1.0 + (eps - 1.0) * static_cast<double>(j + 1) / static_cast<double>(n_steps);
  return static_cast<int64_t>(std::floor(static_cast<double>(n_masked) * (1.0 - s / t)));
}

std::vector<int64_t> even_split(int64_t n, int64_t n_steps) {
  n_steps = std::max<int64_t>(n_steps, 1);
  std::vector<int64_t> counts(static_cast<size_t>(n_steps), n / n_steps);
  for (int64_t j = 0; j < n % n_steps; ++j) ++counts[j];
  return counts;
}

kernels::RevealChoice reveal_choice(const DecodeOptions& o, int64_t scheduled) {
  if (o.threshold) return {kernels::RevealRule::Threshold, 0, *o.threshold};
  if (o.factor) return {kernels::RevealRule::Factor, 0, *o.factor};
  return {kernels::RevealRule::Count, scheduled, 0.0};
}

}  // namespace infilld::engine
