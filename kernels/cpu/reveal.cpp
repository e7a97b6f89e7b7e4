#include "kernels/cpu/reveal.h"

#include <algorithm>
#include <numeric>

namespace infilld::kernels {

std::vector<int64_t> reveal_order(std::span<const double> scores) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return order;
}

int64_t reveal_count(const RevealChoice& choice, std::span<const double> sorted_desc) {
  const auto size = static_cast<int64_t>(sorted_desc.size());
  if (size == 0) return 0;
  int64_t n = 0;
  switch (choice.rule) {
    case RevealRule::Count:  // a schedule may reveal none at a step (Dream's timesteps)
      return std::clamp<int64_t>(choice.count, 0, size);
    case RevealRule::Threshold:
      while (n < size && sorted_desc[n] >= choice.tau) ++n;
      break;
    case RevealRule::Factor:  // i = n + 1, 1-based
      while (n < size && sorted_desc[n] >= 1.0 - choice.tau / static_cast<double>(n + 2)) ++n;
      break;
  }
  return std::clamp<int64_t>(n, 1, size);
}

}  // namespace infilld::kernels
