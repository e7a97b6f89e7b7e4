#include "kernels/cuda/long_attention.h"

#include <cmath>

#include "kernels/cuda/cast.h"
#include "kernels/cuda/softmax.h"

namespace infilld::kernels::cuda {

int64_t long_attention_scratch(const AttentionShape& s, DType out_dtype) {
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t out = out_dtype == DType::F32 ? 0 : s.n_queries * s.n_heads * s.head_dim;
  return group * s.n_queries * s.n_keys + out;
}

Status long_attention(const AttentionArgs& a, const Blas& blas, float* scratch, StreamHandle stream) {
  const AttentionShape& s = a.shape;
  const int64_t T = s.n_queries, S = s.n_keys, D = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads, q_ld = s.n_heads * D, kv_ld = s.n_kv_heads * D;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  float* scores = scratch;  // [group, T, S]
  float* out = a.out_dtype == DType::F32 ? static_cast<float*>(a.out) : scratch + group * T * S;  // [T, A*D]
  for (int64_t g = 0; g < s.n_kv_heads; ++g) {
    // scores_h [T, S] = scale q_h [T, D] . k_g [S, D]^T for the group's heads h
    INFILLD_TRY(blas.gemm_batched_f32(true, T, S, D, scale, {a.q + g * group * D, q_ld, D}, {a.k + g * D, kv_ld, 0},
                                      scores, S, T * S, group));
    masked_softmax(scores, group * T, S, T, s.query_offset, a.mask, stream);
    // out_h [T, D] = p_h [T, S] . v_g [S, D], into the heads' columns of out
    INFILLD_TRY(blas.gemm_batched_f32(false, T, D, S, 1.0f, {scores, S, T * S}, {a.v + g * D, kv_ld, 0},
                                      out + g * group * D, q_ld, D, group));
  }
  if (a.out_dtype != DType::F32) cast_from_f32(out, T * q_ld, a.out_dtype, a.out, stream);
  return Status::ok();
}

}  // namespace infilld::kernels::cuda
