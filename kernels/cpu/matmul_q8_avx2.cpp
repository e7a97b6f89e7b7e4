// Q8_0 weights x Q8 activations with AVX2 (quantize.h): per block of 32, the int8 products
// are summed in integers (vpmaddubsw takes one unsigned operand: |w| against x carrying w's
// sign, at most 2 x 127 x 127 per pair, so nothing saturates; vpmaddwd then sums pairs into
// 8 int32 lanes), converted to float and accumulated with the block's two scales. The weights
// are read in their 34 bytes per 32 values, about half of BF16's 64.
//
// Register tile: MR activation rows x NR weight rows, one ymm accumulator each (4 x 2: 8
// accumulators, 2 weight vectors and their absolute values, one activation vector and the
// temporaries fill the 16 registers).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/matmul_tiles.h"
#include "kernels/cpu/quantize.h"

namespace infilld::kernels {

namespace {

#define INFILLD_AVX2_F16C __attribute__((target("avx2,fma,f16c")))

INFILLD_AVX2_F16C inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

// The activations of a tile's rows: their int8 values [row, k] and block scales [row, k/32].
struct Rows {
  const int8_t* q;
  const float* scale;
  int64_t k;
};

// y[i, j] = x[i, :] . w[j, :] for the tile's MR rows and NR weight rows.
template <int MR, int NR>
INFILLD_AVX2_F16C void tile(Rows x, const std::byte* w, int64_t w_row_bytes, float* y, int64_t y_stride) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  const int64_t groups = x.k / kQ8Group;
  for (int64_t b = 0; b < groups; ++b) {
    __m256i wq[NR], wabs[NR];
    float wd[NR];
    for (int j = 0; j < NR; ++j) {
      const std::byte* blk = w + j * w_row_bytes + b * kQ8BlockBytes;
      uint16_t d16;
      std::memcpy(&d16, blk, 2);
      wd[j] = _cvtsh_ss(d16);
      wq[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
      wabs[j] = _mm256_sign_epi8(wq[j], wq[j]);
    }
    for (int i = 0; i < MR; ++i) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + i * x.k + b * kQ8Group));
      const float xd = x.scale[i * groups + b];
      for (int j = 0; j < NR; ++j) {
        const __m256i pairs = _mm256_maddubs_epi16(wabs[j], _mm256_sign_epi8(xv, wq[j]));
        const __m256 dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
        acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(xd * wd[j]), dot, acc[i][j]);
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) y[i * y_stride + j] = hsum(acc[i][j]);
}

using TileFn = void (*)(Rows, const std::byte*, int64_t, float*, int64_t);

constexpr int kMR = 4;
constexpr int kNR = 2;

template <int MR, int NR>
struct Tile {
  static constexpr TileFn run = tile<MR, NR>;
};

}  // namespace

void matmul_q8_avx2(const float* x, int64_t n_rows, const Weight& w, float* y) {
  const int64_t k = w.cols;
  const int64_t n = w.rows;
  thread_local QuantizedRows kept;  // kept between calls: no allocation per matmul
  // The pool's threads read this thread's rows: through a reference (in their lambda the
  // name of a thread_local would be their own, empty, object).
  QuantizedRows& xq = kept;
  quantize_rows_q8(x, n_rows, k, xq);
  const int64_t groups = k / kQ8Group;
  for_each_tile<kMR, kNR>(n_rows, n, k, 1, [&](int64_t t, int mr, int64_t j, int nr) {
    const Rows rows{xq.q.data() + t * k, xq.scale.data() + t * groups, k};
    tile_kernel<Tile, kMR, kNR>(mr, nr)(rows, w.row(j), w.row_bytes(), y + t * n + j, n);
  });
}

}  // namespace infilld::kernels
