// BF16 weights x float32 activations with AVX2 + FMA, for the CPUs without AVX-512 BF16
// (most AMD Zen 2/3 machines and recent consumer Intel laptops), where oneDNN 2.6 has no
// BF16 matmul. The weights stay in their stored 2 bytes: each load of 8 is widened to float32
// in registers (a BF16 value is the top half of a float32), so memory traffic is the BF16
// file's and nothing is converted per call; the activations are used as they are.
//
// Register tile: MR activation rows x NR weight rows, one ymm accumulator each (4 x 3: 12
// accumulators, 3 widened weight vectors and one activation vector fill the 16 registers);
// K is walked 8 at a time, its tail (K not a multiple of 8) in scalar code.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/matmul.h"
#include "kernels/cpu/matmul_tiles.h"

namespace infilld::kernels {

namespace {

#define INFILLD_AVX2 __attribute__((target("avx2,fma")))

INFILLD_AVX2 inline __m256 widen_bf16(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

INFILLD_AVX2 inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // 4 lanes
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));                                   // 2 lanes
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

inline float bf16_value(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// y[i, j] = x[i, :] . w[j, :] for the tile's MR rows and NR weight rows.
template <int MR, int NR>
INFILLD_AVX2 void tile(const float* x, int64_t x_stride, const uint16_t* w, int64_t k, float* y, int64_t y_stride) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const int64_t k8 = k / 8 * 8;
  for (int64_t kk = 0; kk < k8; kk += 8) {
    __m256 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = widen_bf16(w + j * k + kk);
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * x_stride + kk);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      float sum = hsum(acc[i][j]);
      for (int64_t kk = k8; kk < k; ++kk) sum += x[i * x_stride + kk] * bf16_value(w[j * k + kk]);
      y[i * y_stride + j] = sum;
    }
}

using TileFn = void (*)(const float*, int64_t, const uint16_t*, int64_t, float*, int64_t);

constexpr int kMR = 4;
constexpr int kNR = 3;

template <int MR, int NR>
struct Tile {
  static constexpr TileFn run = tile<MR, NR>;
};

}  // namespace

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

void matmul_bf16_avx2(const float* x, int64_t n_rows, const Weight& w, float* y) {
  const int64_t k = w.cols;
  const int64_t n = w.rows;
  const auto* wb = static_cast<const uint16_t*>(w.data);
  for_each_tile<kMR, kNR>(n_rows, n, k, 2, [&](int64_t t, int mr, int64_t j, int nr) {
    tile_kernel<Tile, kMR, kNR>(mr, nr)(x + t * k, k, wb + j * k, k, y + t * n + j, n);
  });
}

}  // namespace infilld::kernels
