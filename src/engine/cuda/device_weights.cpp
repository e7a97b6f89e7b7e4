#include "engine/cuda/device_weights.h"

namespace infilld::engine::cuda {

namespace kc = kernels::cuda;

namespace {

int64_t matrix_bytes(const kernels::Weight& w) {
  return w.rows * w.cols * static_cast<int64_t>(dtype_size(w.dtype));
}

int64_t vector_bytes(const std::vector<float>& v) { return static_cast<int64_t>(v.size() * sizeof(float)); }

class Uploader {
 public:
  Uploader(DeviceWeights& out, kc::StreamHandle stream) : out_(out), stream_(stream) {}

  Expected<DeviceMatrix> matrix(const kernels::Weight& w, std::string_view what) {
    auto p = copy(w.data, static_cast<size_t>(matrix_bytes(w)), what);
    if (!p) return p.error();
    return DeviceMatrix{*p, w.dtype, w.rows, w.cols};
  }

  Expected<const float*> vector(const std::vector<float>& v, std::string_view what) {
    if (v.empty()) return static_cast<const float*>(nullptr);
    auto p = copy(v.data(), static_cast<size_t>(vector_bytes(v)), what);
    if (!p) return p.error();
    return static_cast<const float*>(*p);
  }

 private:
  Expected<const void*> copy(const void* src, size_t bytes, std::string_view what) {
    auto b = kc::Buffer::allocate(bytes, what);
    if (!b) return b.error();
    INFILLD_TRY(kc::copy_to_device(b->data(), src, bytes, stream_));
    out_.bytes += static_cast<int64_t>(bytes);
    const void* p = b->data();
    out_.storage.push_back(std::move(*b));
    return p;
  }

  DeviceWeights& out_;
  kc::StreamHandle stream_;
};

#define INFILLD_UPLOAD(target, expr) \
  do {                               \
    auto up_ = (expr);               \
    if (!up_) return up_.error();    \
    target = *up_;                   \
  } while (0)

}  // namespace

int64_t device_weight_bytes(const TransformerWeights& w) {
  int64_t n = matrix_bytes(w.embed) + vector_bytes(w.final_norm);
  if (w.lm_head.data != w.embed.data) n += matrix_bytes(w.lm_head);
  for (const LayerWeights& L : w.layers) {
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) n += matrix_bytes(*m);
    for (const auto* v : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv}) n += vector_bytes(*v);
  }
  return n;
}

Expected<DeviceWeights> upload_weights(const ModelConfig& c, const TransformerWeights& w, kc::StreamHandle stream) {
  DeviceWeights d;
  Uploader up(d, stream);
  INFILLD_UPLOAD(d.embed, up.matrix(w.embed, "the embedding"));
  d.layers.resize(w.layers.size());
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    DeviceLayer& D = d.layers[l];
    if (L.wq.dtype != L.wk.dtype || L.wq.dtype != L.wv.dtype || L.w_gate.dtype != L.w_up.dtype)
      return error("layer ", l, ": q/k/v (or gate/up) weights of different dtypes; the CUDA backend casts one "
                   "activation for them: use --device cpu");
    INFILLD_UPLOAD(D.attn_norm, up.vector(L.attn_norm, "a norm weight"));
    INFILLD_UPLOAD(D.wq, up.matrix(L.wq, "a layer's weights"));
    INFILLD_UPLOAD(D.wk, up.matrix(L.wk, "a layer's weights"));
    INFILLD_UPLOAD(D.wv, up.matrix(L.wv, "a layer's weights"));
    INFILLD_UPLOAD(D.bq, up.vector(L.bq, "a bias"));
    INFILLD_UPLOAD(D.bk, up.vector(L.bk, "a bias"));
    INFILLD_UPLOAD(D.bv, up.vector(L.bv, "a bias"));
    INFILLD_UPLOAD(D.wo, up.matrix(L.wo, "a layer's weights"));
    INFILLD_UPLOAD(D.ffn_norm, up.vector(L.ffn_norm, "a norm weight"));
    INFILLD_UPLOAD(D.w_gate, up.matrix(L.w_gate, "a layer's weights"));
    INFILLD_UPLOAD(D.w_up, up.matrix(L.w_up, "a layer's weights"));
    INFILLD_UPLOAD(D.w_down, up.matrix(L.w_down, "a layer's weights"));
  }
  INFILLD_UPLOAD(d.final_norm, up.vector(w.final_norm, "the final norm"));
  if (w.lm_head.data == w.embed.data) {
    d.lm_head = d.embed;  // tied
  } else {
    INFILLD_UPLOAD(d.lm_head, up.matrix(w.lm_head, "the LM head"));
  }
  (void)c;
  return d;
}

}  // namespace infilld::engine::cuda
