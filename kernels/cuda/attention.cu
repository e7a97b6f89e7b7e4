// Layout: a block takes kRows consecutive query rows of one head, one warp per row; it walks
// the visible keys in tiles of 32, staged in shared memory once for all its rows. In a
// tile, lane j scores key j against its warp's row (the row's q is in shared memory, read
// as a broadcast), the warp takes the tile's max and rescales its running sum and output
// (online softmax), then every lane accumulates its slice of the head dimension over the
// tile's 32 values.
#include <cmath>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/mask.cuh"

namespace infilld::kernels::cuda {

namespace {

constexpr int kRows = 8;                                 // query rows (warps) per block
constexpr int kTile = 32;                                // keys per shared-memory tile
constexpr int kSlices = kMaxAttentionHeadDim / 32;       // head-dimension slices per lane

template <class Out>
__global__ void __launch_bounds__(kRows * 32)
    attention_kernel(const float* q, const float* k, const float* v, Out* out, int64_t T, int64_t S,
                     int64_t query_offset, int64_t n_heads, int64_t n_kv_heads, int64_t D, MaskArgs mask,
                     float scale, int64_t chunk, float* partial) {
  INFILLD_DYNAMIC_SHARED(float, smem);
  float* k_tile = smem;                         // [kTile, D + 1] (padded: lanes read different rows)
  float* v_tile = k_tile + kTile * (D + 1);     // [kTile, D]
  float* q_rows = v_tile + kTile * D;           // [kRows, D]

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t h = blockIdx.y, g = h / (n_heads / n_kv_heads);
  const int64_t q_stride = n_heads * D, kv_stride = n_kv_heads * D;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kRows;
  const int64_t t = row0 + warp;
  const bool active = t < T;
  const int64_t last = (row0 + kRows < T ? row0 + kRows : T) - 1;
  const int64_t block_end = visible_end(mask, query_offset + last, S);  // visible ends only grow with q
  const int64_t end = active ? visible_end(mask, query_offset + t, S) : 0;

  for (int64_t d = lane; d < D; d += 32) q_rows[warp * D + d] = active ? q[t * q_stride + h * D + d] * scale : 0.0f;

  float running_max = -INFINITY, running_sum = 0.0f;
  float acc[kSlices];
#pragma unroll
  for (int s = 0; s < kSlices; ++s) acc[s] = 0.0f;

  // This block's keys: split blockIdx.z of the visible range (all of it without splits).
  const int64_t key_begin = static_cast<int64_t>(blockIdx.z) * chunk;
  const int64_t key_end = key_begin + chunk < block_end ? key_begin + chunk : block_end;
  for (int64_t j0 = key_begin; j0 < key_end; j0 += kTile) {
    __syncthreads();  // the previous tile is consumed (and q_rows written, the first time)
    for (int64_t i = threadIdx.x; i < kTile * D; i += blockDim.x) {
      const int64_t j = i / D, d = i % D, key = j0 + j;
      const bool in = key < S;
      k_tile[j * (D + 1) + d] = in ? k[key * kv_stride + g * D + d] : 0.0f;
      v_tile[j * D + d] = in ? v[key * kv_stride + g * D + d] : 0.0f;
    }
    __syncthreads();
    if (!active || j0 >= end) continue;  // whole warps skip together: no shuffle is split

    float score = -INFINITY;
    if (j0 + lane < end) {
      const float* kr = k_tile + lane * (D + 1);
      const float* qr = q_rows + warp * D;
      float dot = 0.0f;
      for (int64_t d = 0; d < D; ++d) dot += qr[d] * kr[d];
      score = dot;
    }
    const float tile_max = warp_max(score);
    const float new_max = fmaxf(running_max, tile_max);  // finite: key j0 is always visible here
    const float correction = expf(running_max - new_max);  // 0 on the first tile
    const float p = j0 + lane < end ? expf(score - new_max) : 0.0f;
    running_sum = running_sum * correction + warp_sum(p);
    running_max = new_max;
#pragma unroll
    for (int s = 0; s < kSlices; ++s) acc[s] *= correction;
    for (int j = 0; j < kTile; ++j) {
      const float pj = __shfl_sync(0xffffffffu, p, j);
      const float* vr = v_tile + j * D;
#pragma unroll
      for (int s = 0; s < kSlices; ++s) {
        const int64_t d = lane + 32 * s;
        if (d < D) acc[s] += pj * vr[d];
      }
    }
  }
  if (!active) return;
  if (partial != nullptr) {  // a split: its running max, sum and unnormalised output
    const int64_t row = (static_cast<int64_t>(blockIdx.z) * T + t) * n_heads + h;  // [splits, T, A]
    float* p = partial + row * (D + 2);
#pragma unroll
    for (int s = 0; s < kSlices; ++s) {
      const int64_t d = lane + 32 * s;
      if (d < D) p[2 + d] = acc[s];
    }
    if (lane == 0) p[0] = running_max, p[1] = running_sum;
    return;
  }
  const float inv = running_sum > 0.0f ? 1.0f / running_sum : 0.0f;
#pragma unroll
  for (int s = 0; s < kSlices; ++s) {
    const int64_t d = lane + 32 * s;
    if (d < D) out[t * q_stride + h * D + d] = from_float<Out>(acc[s] * inv);
  }
}

// Merges the splits of one (row, head): out = sum_z acc_z e^(m_z - M) / sum_z l_z e^(m_z - M).
template <class Out>
__global__ void combine_kernel(const float* partial, int64_t T, int64_t n_heads, int64_t D, int64_t splits, Out* out) {
  const int64_t t = blockIdx.x, h = blockIdx.y;
  const auto part = [&](int64_t z) { return partial + ((z * T + t) * n_heads + h) * (D + 2); };
  float m = -INFINITY;
  for (int64_t z = 0; z < splits; ++z) m = fmaxf(m, part(z)[0]);
  float l = 0.0f;
  for (int64_t z = 0; z < splits; ++z) l += part(z)[1] * expf(part(z)[0] - m);
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    float sum = 0.0f;
    for (int64_t z = 0; z < splits; ++z) sum += part(z)[2 + d] * expf(part(z)[0] - m);
    out[t * n_heads * D + h * D + d] = from_float<Out>(sum * inv);
  }
}

}  // namespace

int64_t attention_splits(const AttentionShape& s, int multiprocessors) {
  if (multiprocessors <= 0) return 1;
  const int64_t blocks = blocks_for(s.n_queries, kRows) * s.n_heads;
  const int64_t want = (4 * static_cast<int64_t>(multiprocessors) + blocks - 1) / blocks;  // about 4 waves
  const int64_t most = s.n_keys / kSplitMinKeys;
  return std::max<int64_t>(1, std::min(want, most));
}

int64_t attention_split_scratch(const AttentionShape& s, int multiprocessors) {
  const int64_t splits = attention_splits(s, multiprocessors);
  return splits > 1 ? splits * s.n_queries * s.n_heads * (s.head_dim + 2) : 0;
}

void attention(const AttentionArgs& a, StreamHandle stream) {
  const AttentionShape& s = a.shape;
  if (s.n_queries <= 0 || s.n_keys <= 0) return;
  const size_t shared = static_cast<size_t>(kTile * (s.head_dim + 1) + kTile * s.head_dim + kRows * s.head_dim) *
                        sizeof(float);
  const MaskArgs mask = mask_args(a.mask);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.head_dim)));
  const int64_t splits = a.split_scratch != nullptr ? attention_splits(s, a.multiprocessors) : 1;
  // Keys per split: whole tiles.
  const int64_t chunk = splits > 1 ? (s.n_keys + splits * kTile - 1) / (splits * kTile) * kTile : s.n_keys;
  float* partial = splits > 1 ? a.split_scratch : nullptr;
  with_dtype(a.out_dtype, [&](auto tag) {
    using Out = decltype(tag);
    auto* k = &attention_kernel<Out>;
    allow_shared_bytes(k, shared);
    INFILLD_LAUNCH(k,
                   dim3(blocks_for(s.n_queries, kRows), static_cast<unsigned>(s.n_heads), static_cast<unsigned>(splits)),
                   dim3(kRows * 32), shared, stream)
    (a.q, a.k, a.v, static_cast<Out*>(a.out), s.n_queries, s.n_keys, s.query_offset, s.n_heads, s.n_kv_heads,
     s.head_dim, mask, scale, chunk, partial);
    if (partial != nullptr) {
      auto* c = &combine_kernel<Out>;
      INFILLD_LAUNCH(c, dim3(static_cast<unsigned>(s.n_queries), static_cast<unsigned>(s.n_heads)), dim3(64), 0, stream)
      (partial, s.n_queries, s.n_heads, s.head_dim, splits, static_cast<Out*>(a.out));
    }
  });
}

}  // namespace infilld::kernels::cuda
