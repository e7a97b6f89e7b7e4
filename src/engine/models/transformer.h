// The decoder stack shared by Dream, Qwen2 masked-diffusion models and LLaDA: pre-norm
// blocks of grouped-query attention with rotate-half RoPE and a SwiGLU MLP, a final RMSNorm
// and an LM head. Weights are bound by role through the name table and validated by shape;
// matrices stay in the checkpoint's mapped file in their stored dtype.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/checkpoint/checkpoint.h"
#include "engine/logits.h"
#include "engine/models/model_config.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/weight.h"

namespace infilld::engine {

struct LayerWeights {
  std::vector<float> attn_norm;  // [H]
  kernels::Weight wq;            // [A*D, H]
  kernels::Weight wk;            // [K*D, H]
  kernels::Weight wv;            // [K*D, H]
  std::vector<float> bq, bk, bv; // [A*D], [K*D], [K*D]; empty without biases
  kernels::Weight wo;            // [H, A*D]
  std::vector<float> ffn_norm;   // [H]
  kernels::Weight w_gate;        // [F, H]
  kernels::Weight w_up;          // [F, H]
  kernels::Weight w_down;        // [H, F]
};

// A layer's seven matrices, for code that treats them alike (quantization, sizes).
inline std::array<kernels::Weight*, 7> matrices(LayerWeights& L) {
  return {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down};
}
inline std::array<const kernels::Weight*, 7> matrices(const LayerWeights& L) {
  return {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down};
}

struct TransformerWeights {
  kernels::Weight embed;          // [V, H]
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;  // [H]
  kernels::Weight lm_head;        // [V, H]; the embedding when tied
};

// Replaces every matrix of `w` by f(matrix) (quantizing or repacking them): the embedding,
// each layer's seven, and the LM head, which stays the embedding when `tied`.
template <class F>
void transform_matrices(TransformerWeights& w, bool tied, F&& f) {
  f(w.embed);
  for (LayerWeights& L : w.layers)
    for (kernels::Weight* m : matrices(L)) f(*m);
  if (tied) {
    w.lm_head = w.embed;
  } else {
    f(w.lm_head);
  }
}

// Finds every tensor the config needs, checks its shape, and points at it.
// Errors: "missing tensor NAME (expected shape [..])", "tensor NAME: expected shape [..], found [..]".
Expected<TransformerWeights> bind_weights(const Checkpoint& checkpoint, const ModelConfig& config);

// Keys and values of every position, per layer, for the approximate caches of fully
// bidirectional models (Fast-dLLM's prefix cache and DualCache) and for the exact context
// cache (context_cache.h): rows not recomputed keep the values of the forward that last
// wrote them.
struct KvCache {
  int64_t n_positions = 0;
  std::vector<std::vector<float>> k;  // per layer [n_positions, K*D], after RoPE
  std::vector<std::vector<float>> v;  // per layer [n_positions, K*D]
  // The CUDA backend keeps its K/V on the GPU (engine/cuda/device_kv.h) instead of in k, v.
  std::shared_ptr<void> device;
};

// One sequence of a forward: rows [r0, r1) of `tokens` (positions r0..r1-1). Without a
// cache the range is the whole sequence. With one, a full range (re)fills it and a partial
// range writes its rows' K/V into it and attends over all of its positions.
struct SequenceRows {
  std::span<const int32_t> tokens;
  int64_t r0 = 0;
  int64_t r1 = 0;
  KvCache* cache = nullptr;
  // The rows that get logits (ascending, within [r0, r1)): the LM head, the largest matmul
  // of a small model, runs only on them. Empty: every computed row.
  std::span<const int64_t> head_rows;
  // This sequence's own mask (a block-causal one depends on its context's length); null:
  // the forward's. (CPU forward only.)
  const AttentionMask* mask = nullptr;
};

// The checks every backend makes of a sequence before its forward (the CPU's and the
// CUDA's): tokens present and in the vocabulary, rows inside the sequence, a partial range
// only with a cache, head rows ascending inside the range.
// `cached`: the sequence has a K/V cache (on the host or the device).
Status check_sequence(const ModelConfig& config, std::span<const int32_t> tokens, int64_t r0, int64_t r1, bool cached,
                      std::span<const int64_t> head_rows);

// The forward pass, the one entry point of the CPU engine: several sequences stacked, so each
// weight matrix is streamed once for all of them (what bounds small forwards), attention
// within each sequence under `mask`. Unshifted: row i holds what the network outputs at
// position i; the shift is a decoding convention applied by the denoiser. out[i] receives
// sequence i's head rows (or every computed row).
Status forward(const ModelConfig& config, const TransformerWeights& weights, std::span<const SequenceRows> sequences,
               const AttentionMask& mask, std::span<Logits* const> out);

}  // namespace infilld::engine
