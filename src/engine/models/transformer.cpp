#include "engine/models/transformer.h"

#include "engine/models/tensor_names.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/norm.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/rope.h"

namespace infilld::engine {

namespace {

class Binder {
 public:
  Binder(const Checkpoint& checkpoint, Architecture arch) : checkpoint_(checkpoint), arch_(arch) {}

  Expected<kernels::Weight> matrix(TensorRole role, int64_t layer, int64_t rows, int64_t cols) {
    auto t = find(role, layer, {rows, cols});
    if (!t) return t.error();
    return kernels::Weight{(*t)->dtype, (*t)->data, rows, cols};
  }

  // Vectors (norms, biases) are tiny: keep a float32 copy for the kernels.
  Expected<std::vector<float>> vector(TensorRole role, int64_t layer, int64_t n) {
    auto t = find(role, layer, {n});
    if (!t) return t.error();
    std::vector<float> v(static_cast<size_t>(n));
    kernels::to_f32((*t)->dtype, (*t)->data, n, v.data());
    return v;
  }

 private:
  Expected<const TensorView*> find(TensorRole role, int64_t layer, std::vector<int64_t> shape) {
    const std::string name = tensor_name(arch_, role, layer);
    const TensorView* t = checkpoint_.find(name);
    if (t == nullptr) return error("missing tensor ", name, " (expected shape ", shape_text(shape), ")");
    if (t->shape != shape)
      return error("tensor ", name, ": expected shape ", shape_text(shape), ", found ", shape_text(t->shape));
    return t;
  }

  const Checkpoint& checkpoint_;
  Architecture arch_;
};

#define INFILLD_BIND(target, expr) \
  do {                             \
    auto bound_ = (expr);          \
    if (!bound_) return bound_.error(); \
    target = std::move(*bound_);   \
  } while (0)

}  // namespace

Expected<TransformerWeights> bind_weights(const Checkpoint& checkpoint, const ModelConfig& c) {
  Binder b(checkpoint, c.arch);
  const int64_t H = c.n_embd, V = c.n_vocab, F = c.n_ff;
  const int64_t QD = c.n_heads * c.head_dim, KD = c.n_kv_heads * c.head_dim;
  TransformerWeights w;
  INFILLD_BIND(w.embed, b.matrix(TensorRole::TokenEmbedding, 0, V, H));
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int64_t l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[l];
    INFILLD_BIND(L.attn_norm, b.vector(TensorRole::AttnNorm, l, H));
    INFILLD_BIND(L.wq, b.matrix(TensorRole::Q, l, QD, H));
    INFILLD_BIND(L.wk, b.matrix(TensorRole::K, l, KD, H));
    INFILLD_BIND(L.wv, b.matrix(TensorRole::V, l, KD, H));
    if (c.qkv_bias) {
      INFILLD_BIND(L.bq, b.vector(TensorRole::QBias, l, QD));
      INFILLD_BIND(L.bk, b.vector(TensorRole::KBias, l, KD));
      INFILLD_BIND(L.bv, b.vector(TensorRole::VBias, l, KD));
    }
    INFILLD_BIND(L.wo, b.matrix(TensorRole::AttnOut, l, H, QD));
    INFILLD_BIND(L.ffn_norm, b.vector(TensorRole::FfnNorm, l, H));
    INFILLD_BIND(L.w_gate, b.matrix(TensorRole::Gate, l, F, H));
    INFILLD_BIND(L.w_up, b.matrix(TensorRole::Up, l, F, H));
    INFILLD_BIND(L.w_down, b.matrix(TensorRole::Down, l, H, F));
  }
  INFILLD_BIND(w.final_norm, b.vector(TensorRole::FinalNorm, 0, H));
  if (c.tied_embeddings) {
    w.lm_head = w.embed;
  } else {
    INFILLD_BIND(w.lm_head, b.matrix(TensorRole::LmHead, 0, V, H));
  }
  return w;
}

Status check_sequence(const ModelConfig& c, std::span<const int32_t> tokens, int64_t r0, int64_t r1, bool cached,
                      std::span<const int64_t> head_rows) {
  const int64_t S = static_cast<int64_t>(tokens.size());
  if (S == 0) return error("forward: no tokens");
  if (r0 < 0 || r1 > S || r1 <= r0) return error("forward: rows [", r0, ", ", r1, ") outside [0, ", S, ")");
  if (!cached && r1 - r0 != S) return error("forward: a partial forward needs a K/V cache");
  for (int32_t id : tokens)
    if (id < 0 || id >= c.n_vocab) return error("token id ", id, " is outside the vocabulary [0, ", c.n_vocab, ")");
  int64_t previous = r0 - 1;
  for (int64_t r : head_rows) {
    if (r <= previous || r >= r1)
      return error("forward: LM head row ", r, " is not ascending inside the rows [", r0, ", ", r1, ")");
    previous = r;
  }
  return Status::ok();
}

namespace {

// Readies a sequence's K/V cache: a full range (re)sizes it, a partial one must match it.
Status prepare_cache(const ModelConfig& c, const SequenceRows& seq) {
  KvCache* cache = seq.cache;
  if (cache == nullptr) return Status::ok();
  const int64_t S = static_cast<int64_t>(seq.tokens.size());
  const int64_t KD = c.n_kv_heads * c.head_dim;
  if (seq.r1 - seq.r0 == S && cache->n_positions != S) {
    cache->n_positions = S;
    cache->k.assign(static_cast<size_t>(c.n_layers), std::vector<float>(static_cast<size_t>(S * KD)));
    cache->v.assign(static_cast<size_t>(c.n_layers), std::vector<float>(static_cast<size_t>(S * KD)));
  } else if (cache->n_positions != S || static_cast<int64_t>(cache->k.size()) != c.n_layers) {
    return error("forward: the K/V cache holds ", cache->n_positions, " positions, the canvas ", S);
  }
  return Status::ok();
}

}  // namespace

Status forward(const ModelConfig& c, const TransformerWeights& w, std::span<const SequenceRows> segments,
               const AttentionMask& mask, std::span<Logits* const> out) {
  using namespace kernels;
  const int64_t H = c.n_embd, F = c.n_ff, V = c.n_vocab;
  const int64_t QD = c.n_heads * c.head_dim, KD = c.n_kv_heads * c.head_dim;
  // Rows of every segment, stacked: the matmuls stream each weight once for the batch.
  std::vector<int64_t> row0(segments.size() + 1, 0);
  if (out.size() != segments.size())
    return error("forward: ", segments.size(), " sequences but ", out.size(), " outputs");
  for (size_t i = 0; i < segments.size(); ++i) {
    const SequenceRows& seg = segments[i];
    INFILLD_TRY(check_sequence(c, seg.tokens, seg.r0, seg.r1, seg.cache != nullptr, seg.head_rows));
    INFILLD_TRY(prepare_cache(c, segments[i]));
    row0[i + 1] = row0[i] + segments[i].r1 - segments[i].r0;
  }
  const int64_t T = row0.back();
  if (T == 0) return error("forward: nothing to compute");

  // Multiply-adds of the matmuls: the layers' weights and the LM head, once per row.
  const double weight_elements =
      double(c.n_layers) * double(H * (QD + 2 * KD) + QD * H + 3 * H * F) + double(V) * double(H);
  kernels::onednn::size_team_for(weight_elements * double(T));

  std::vector<int32_t> ids(static_cast<size_t>(T)), positions(static_cast<size_t>(T));
  for (size_t i = 0; i < segments.size(); ++i)
    for (int64_t t = 0; t < row0[i + 1] - row0[i]; ++t) {
      positions[row0[i] + t] = static_cast<int32_t>(segments[i].r0 + t);
      ids[row0[i] + t] = segments[i].tokens[segments[i].r0 + t];
    }
  std::vector<float> x(T * H), h(T * H), q(T * QD), k(T * KD), v(T * KD), att(T * QD), gate(T * F), up(T * F);
  const RopeTable rope_cs = rope_table(positions.data(), T, c.head_dim, c.rope_theta);

  embedding(w.embed, ids.data(), T, x.data());                          // x [T, H]
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    rmsnorm(x.data(), T, H, L.attn_norm.data(), float(c.norm_eps), h.data());  // h [T, H]
    matmul(h.data(), T, L.wq, q.data());                                // q [T, A*D]
    matmul(h.data(), T, L.wk, k.data());                                // k [T, K*D]
    matmul(h.data(), T, L.wv, v.data());                                // v [T, K*D]
    if (c.qkv_bias) {
      add_bias(q.data(), T, QD, L.bq.data());
      add_bias(k.data(), T, KD, L.bk.data());
      add_bias(v.data(), T, KD, L.bv.data());
    }
    rope(q.data(), T, c.n_heads, rope_cs);
    rope(k.data(), T, c.n_kv_heads, rope_cs);
    // Attention within each segment: its rows attend over its own keys.
    for (size_t i = 0; i < segments.size(); ++i) {
      const SequenceRows& seg = segments[i];
      const int64_t n = row0[i + 1] - row0[i];
      const float* keys = k.data() + row0[i] * KD;
      const float* values = v.data() + row0[i] * KD;
      int64_t n_keys = n;
      if (seg.cache != nullptr) {  // the new rows replace their own cache rows; attend over all
        std::copy(keys, keys + n * KD, seg.cache->k[l].begin() + seg.r0 * KD);  // cache k [S, K*D]
        std::copy(values, values + n * KD, seg.cache->v[l].begin() + seg.r0 * KD);
        keys = seg.cache->k[l].data();
        values = seg.cache->v[l].data();
        n_keys = seg.cache->n_positions;
      }
      const AttentionShape shape{n, n_keys, seg.r0, c.n_heads, c.n_kv_heads, c.head_dim};
      const AttentionMask& seg_mask = seg.mask != nullptr ? *seg.mask : mask;
      attention(q.data() + row0[i] * QD, keys, values, shape, seg_mask, att.data() + row0[i] * QD);  // att [T, A*D]
    }
    matmul(att.data(), T, L.wo, h.data());                              // h [T, H]
    add_inplace(x.data(), h.data(), T * H);
    rmsnorm(x.data(), T, H, L.ffn_norm.data(), float(c.norm_eps), h.data());
    matmul(h.data(), T, L.w_gate, gate.data());                         // gate [T, F]
    matmul(h.data(), T, L.w_up, up.data());                             // up [T, F]
    swiglu(gate.data(), up.data(), gate.data(), T * F);
    matmul(gate.data(), T, L.w_down, h.data());                         // h [T, H]
    add_inplace(x.data(), h.data(), T * H);
  }
  // The LM head on the head rows only: gather them, then the final norm and the matmul.
  std::vector<int64_t> head;  // stacked rows
  for (size_t i = 0; i < segments.size(); ++i) {
    const SequenceRows& seg = segments[i];
    if (seg.head_rows.empty()) {
      out[i]->hold(seg.r0, seg.r1, V);
    } else {
      out[i]->hold(seg.head_rows, V);
    }
    for (int64_t r : out[i]->rows) head.push_back(row0[i] + r - seg.r0);
    out[i]->computed = seg.r1 - seg.r0;
  }
  const int64_t R = static_cast<int64_t>(head.size());
  if (R < T)
    for (int64_t j = 0; j < R; ++j) std::copy_n(x.data() + head[j] * H, H, x.data() + j * H);  // rows gathered in place
  rmsnorm(x.data(), R, H, w.final_norm.data(), float(c.norm_eps), h.data());
  if (segments.size() == 1) {
    matmul(h.data(), R, w.lm_head, out[0]->values.data());            // logits [R, V]
  } else {
    std::vector<float> all(static_cast<size_t>(R * V));
    matmul(h.data(), R, w.lm_head, all.data());
    int64_t j = 0;
    for (Logits* o : out) {
      std::copy_n(all.begin() + j * V, o->values.size(), o->values.begin());
      j += o->n_rows();
    }
  }
  return Status::ok();
}

}  // namespace infilld::engine
