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
    // Each weight of the layer: where it goes on the device, where it is on the host.
    static constexpr std::pair<DeviceMatrix DeviceLayer::*, kernels::Weight LayerWeights::*> kMatrices[] = {
        {&DeviceLayer::wq, &LayerWeights::wq},         {&DeviceLayer::wk, &LayerWeights::wk},
        {&DeviceLayer::wv, &LayerWeights::wv},         {&DeviceLayer::wo, &LayerWeights::wo},
        {&DeviceLayer::w_gate, &LayerWeights::w_gate}, {&DeviceLayer::w_up, &LayerWeights::w_up},
        {&DeviceLayer::w_down, &LayerWeights::w_down}};
    static constexpr std::pair<const float* DeviceLayer::*, std::vector<float> LayerWeights::*> kVectors[] = {
        {&DeviceLayer::attn_norm, &LayerWeights::attn_norm}, {&DeviceLayer::ffn_norm, &LayerWeights::ffn_norm},
        {&DeviceLayer::bq, &LayerWeights::bq}, {&DeviceLayer::bk, &LayerWeights::bk},
        {&DeviceLayer::bv, &LayerWeights::bv}};
    for (const auto& [device, host] : kMatrices) INFILLD_UPLOAD(D.*device, up.matrix(L.*host, "a layer's weights"));
    for (const auto& [device, host] : kVectors) INFILLD_UPLOAD(D.*device, up.vector(L.*host, "a norm or bias"));
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
