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

int64_t threshold_count(std::span<const double> sorted_desc, double tau) {
  int64_t n = 0;
  while (n < static_cast<int64_t>(sorted_desc.size()) && sorted_desc[n] >= tau) ++n;
  return std::max<int64_t>(n, sorted_desc.empty() ? 0 : 1);
}

int64_t factor_count(std::span<const double> sorted_desc, double factor) {
  int64_t n = 0;
  while (n < static_cast<int64_t>(sorted_desc.size()) &&
         sorted_desc[n] >= 1.0 - factor / static_cast<double>(n + 2))  // i = n + 1 (1-based)
    ++n;
  return std::max<int64_t>(n, sorted_desc.empty() ? 0 : 1);
}

}  // namespace infilld::engine
