// BF16 weights x float32 activations with AVX-512 BF16 (vdpbf16ps): the activations are
// rounded to BF16 once per call, the products accumulate in float32. Each instruction does
// 32 multiply-adds, twice the rate of float32 FMA, and the weights are read in their stored
// 2 bytes, which is what bounds small-T forwards.
//
// Register tile: MR activation rows x NR weight rows, one zmm accumulator each; K is walked
// 32 elements at a time (the activation copy is zero-padded to a multiple of 32, the weight
// tail is read with a masked load).
#include <immintrin.h>

// GCC 12's AVX-512 headers start some intrinsics from _mm512_undefined_*(), which its
// -Wuninitialized reports as a use of an uninitialised value: a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/matmul_tiles.h"

namespace infilld::kernels {

bool cpu_has_avx512_bf16() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512bf16");
  return has;
}

namespace {

#define INFILLD_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

// Horizontal sum. (GCC 12's _mm512_reduce_add_ps trips a false -Wuninitialized in its header.)
INFILLD_AVX512_BF16 inline float hsum(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float s = 0.0f;
  for (float x : lanes) s += x;
  return s;
}

// Sums each of 16 accumulators a[s] (s = 4 * i + j for row i, column j of a full 4 x 4
// tile) into out[4 * j + i], with a shuffle tree instead of 16 separate horizontal sums.
INFILLD_AVX512_BF16 inline void hsum16(const __m512 (&a)[4][4], float* y, int64_t y_stride) {
  __m512 c[8], d[4], e[2];
  for (int p = 0; p < 8; ++p) {  // halves: [X.u0+X.u2, X.u1+X.u3, Y.u0+Y.u2, Y.u1+Y.u3]
    const __m512 x = a[(2 * p) / 4][(2 * p) % 4], yv = a[(2 * p + 1) / 4][(2 * p + 1) % 4];
    c[p] = _mm512_add_ps(_mm512_shuffle_f32x4(x, yv, 0x44), _mm512_shuffle_f32x4(x, yv, 0xEE));
  }
  for (int p = 0; p < 4; ++p)  // 128-bit unit u of d[p] now holds source 4p + u
    d[p] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * p], c[2 * p + 1], 0x88),
                         _mm512_shuffle_f32x4(c[2 * p], c[2 * p + 1], 0xDD));
  for (int p = 0; p < 2; ++p)
    e[p] = _mm512_add_ps(_mm512_unpacklo_ps(d[2 * p], d[2 * p + 1]), _mm512_unpackhi_ps(d[2 * p], d[2 * p + 1]));
  const __m512 lo = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(e[0]), _mm512_castps_pd(e[1])));
  const __m512 hi = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(e[0]), _mm512_castps_pd(e[1])));
  alignas(64) float out[16];
  _mm512_store_ps(out, _mm512_add_ps(lo, hi));  // out[4 * u + v] = sum of source 4 * v + u
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) y[i * y_stride + j] = out[4 * j + i];
}

template <int MR, int NR>
INFILLD_AVX512_BF16 void tile(const uint16_t* xb, int64_t x_stride, const uint16_t* w, int64_t k,
                              float* y, int64_t y_stride) {
  __m512 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  const int64_t k_full = k / 32 * 32;
  for (int64_t kk = 0; kk < k_full; kk += 32) {
    __m512i wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_si512(w + j * k + kk);
    for (int i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_loadu_si512(xb + i * x_stride + kk);
      for (int j = 0; j < NR; ++j)
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)xv, (__m512bh)wv[j]);
    }
  }
  if (k_full < k) {
    const __mmask32 mask = static_cast<__mmask32>((1ull << (k - k_full)) - 1);
    __m512i wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_maskz_loadu_epi16(mask, w + j * k + k_full);
    for (int i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_loadu_si512(xb + i * x_stride + k_full);  // zero-padded copy
      for (int j = 0; j < NR; ++j)
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)xv, (__m512bh)wv[j]);
    }
  }
  if constexpr (MR == 4 && NR == 4) {
    hsum16(acc, y, y_stride);
  } else {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) y[i * y_stride + j] = hsum(acc[i][j]);
  }
}

using TileFn = void (*)(const uint16_t*, int64_t, const uint16_t*, int64_t, float*, int64_t);

constexpr int kMR = 4;
constexpr int kNR = 4;

template <int MR, int NR>
struct Tile {
  static constexpr TileFn run = tile<MR, NR>;
};

}  // namespace

void matmul_bf16_avx512(const float* x, int64_t n_rows, const Weight& w, float* y) {
  const int64_t k = w.cols;
  const int64_t n = w.rows;
  const int64_t k_padded = (k + 31) / 32 * 32;
  std::vector<uint16_t> xb(static_cast<size_t>(n_rows * k_padded), 0);
  for (int64_t t = 0; t < n_rows; ++t)
    for (int64_t i = 0; i < k; ++i) xb[t * k_padded + i] = f32_to_bf16(x[t * k + i]);

  const auto* wb = static_cast<const uint16_t*>(w.data);
  for_each_tile<kMR, kNR>(n_rows, n, k, 2, [&](int64_t t, int mr, int64_t j, int nr) {
    tile_kernel<Tile, kMR, kNR>(mr, nr)(xb.data() + t * k_padded, k_padded, wb + j * k, k, y + t * n + j, n);
  });
}

}  // namespace infilld::kernels
