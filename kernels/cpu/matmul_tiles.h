// The walk over y[T, N] = x[T, K] . W[N, K]^T that our BF16 kernels share: register tiles of
// at most MR activation rows x NR weight rows, within blocks of weight rows sized to stay
// in L2 while every activation row passes over them, the blocks spread over the thread pool.
// tile(t, mr, j, nr) computes y's rows [t, t + mr) x columns [j, j + nr).
#pragma once

#include <algorithm>
#include <array>
#include <type_traits>
#include <cstdint>
#include <utility>

#include "common/thread_pool.h"

namespace infilld::kernels {

// The tile kernel for an edge tile of mr x nr (1 <= mr <= MR, 1 <= nr <= NR), from a table
// of Tile<mr, nr>::run built at compile time.
template <template <int, int> class Tile, int MR, int NR>
auto tile_kernel(int mr, int nr) {
  using Fn = std::remove_const_t<decltype(Tile<1, 1>::run)>;
  static constexpr auto table = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<Fn, MR * NR>{Tile<static_cast<int>(I / NR) + 1, static_cast<int>(I % NR) + 1>::run...};
  }(std::make_index_sequence<MR * NR>{});
  return table[static_cast<size_t>((mr - 1) * NR + (nr - 1))];
}

template <int MR, int NR, class Tile>
void for_each_tile(int64_t n_rows, int64_t n, int64_t k, int64_t weight_bytes, const Tile& tile) {
  const int64_t block = std::max<int64_t>(NR, (256 * 1024 / (k * weight_bytes)) / NR * NR);
  const int64_t n_blocks = (n + block - 1) / block;
  ThreadPool::global().parallel_for(n_blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t n_begin = b * block;
      const int64_t n_end = std::min(n, n_begin + block);
      for (int64_t t = 0; t < n_rows; t += MR) {
        const int mr = static_cast<int>(std::min<int64_t>(MR, n_rows - t));
        for (int64_t j = n_begin; j < n_end; j += NR) tile(t, mr, j, static_cast<int>(std::min<int64_t>(NR, n_end - j)));
      }
    }
  });
}

}  // namespace infilld::kernels
