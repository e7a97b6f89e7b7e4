// The AVX2 + FMA kernel for BF16 weights packed in panels of 16 rows (packed_bf16.h).
//
// Register tile: MR activation rows x one panel (16 outputs: two ymm per row), so 12
// accumulators at MR = 6, the panel's two widened vectors and one broadcast activation.
// Per k: one 32-byte load of the panel, a shift and a mask to widen it, MR broadcasts and
// 2 x MR FMAs: the FMA units, not the widening or the loads, set the pace. The panel
// (16 x K x 2 bytes: 8 KiB at K = 256) stays in L1 while every row tile passes over it;
// threads share the panels.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "common/thread_pool.h"
#include "kernels/cpu/packed_bf16.h"

namespace infilld::kernels {

namespace {

#define INFILLD_AVX2 __attribute__((target("avx2,fma")))

constexpr int kMR = 6;
constexpr int64_t kRowBlock = 8 * kMR;

// y[i, 0..nc) = x[i, :] . panel's rows 0..nc) for the tile's MR rows.
template <int MR>
INFILLD_AVX2 void panel_tile(const float* x, int64_t x_stride, const uint16_t* panel, int64_t k, float* y,
                             int64_t y_stride, int nc) {
  __m256 lo[MR], hi[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    lo[i] = _mm256_setzero_ps();
    hi[i] = _mm256_setzero_ps();
  }
  const __m256i high_halves = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + kk * kPanelRows));
    const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));          // rows 0-7
    const __m256 w1 = _mm256_castsi256_ps(_mm256_and_si256(v, high_halves));  // rows 8-15
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m256 xb = _mm256_broadcast_ss(x + i * x_stride + kk);
      lo[i] = _mm256_fmadd_ps(xb, w0, lo[i]);
      hi[i] = _mm256_fmadd_ps(xb, w1, hi[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* out = y + i * y_stride;
    if (nc == kPanelRows) {
      _mm256_storeu_ps(out, lo[i]);
      _mm256_storeu_ps(out + 8, hi[i]);
    } else {  // the last panel of a matrix whose rows are not a multiple of 16
      alignas(32) float all[kPanelRows];
      _mm256_store_ps(all, lo[i]);
      _mm256_store_ps(all + 8, hi[i]);
      std::copy_n(all, nc, out);
    }
  }
}

using TileFn = void (*)(const float*, int64_t, const uint16_t*, int64_t, float*, int64_t, int);
constexpr TileFn kTiles[kMR] = {panel_tile<1>, panel_tile<2>, panel_tile<3>,
                                panel_tile<4>, panel_tile<5>, panel_tile<6>};

}  // namespace

void matmul_bf16_packed_avx2(const float* x, int64_t n_rows, const Weight& w, float* y) {
  const int64_t k = w.cols;
  const int64_t n = w.rows;
  const auto* wp = static_cast<const uint16_t*>(w.data);
  const int64_t n_panels = (n + kPanelRows - 1) / kPanelRows;
  ThreadPool::global().parallel_for(n_panels, 1, [&](int64_t p0, int64_t p1) {
    // Many rows: blocks of them stay in L2 while the thread's panels pass over them.
    for (int64_t t0 = 0; t0 < n_rows; t0 += kRowBlock) {
      const int64_t t1 = std::min(n_rows, t0 + kRowBlock);
      for (int64_t p = p0; p < p1; ++p) {
        const uint16_t* panel = wp + p * k * kPanelRows;
        const int nc = static_cast<int>(std::min<int64_t>(kPanelRows, n - p * kPanelRows));
        for (int64_t t = t0; t < t1; t += kMR) {
          const int mr = static_cast<int>(std::min<int64_t>(kMR, t1 - t));
          kTiles[mr - 1](x + t * k, k, panel, k, y + t * n + p * kPanelRows, n, nc);
        }
      }
    }
  });
}

}  // namespace infilld::kernels
