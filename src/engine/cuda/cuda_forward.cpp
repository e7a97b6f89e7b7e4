#include "engine/cuda/cuda_forward.h"

#include <cstdlib>

#include "kernels/cuda/long_attention.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/rmsnorm.h"
#include "kernels/cuda/rope.h"
#include "kernels/cuda/swiglu.h"

namespace infilld::engine::cuda {

namespace kc = kernels::cuda;

namespace {

// Rows the working memory is sized for in the fit check: a 2,048-token context and its canvas.
constexpr int64_t kFitRows = 2048;

// "15.23 GiB", or "96.0 MiB" below a GiB.
std::string bytes_text(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / double(1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / double(1 << 20));
  }
  return buf;
}

// Device bytes of working memory per stacked row (activations, the rope table, logits).
int64_t bytes_per_row(const ModelConfig& c) {
  const int64_t QD = c.n_heads * c.head_dim, KD = c.n_kv_heads * c.head_dim;
  return 4 * (2 * c.n_embd + 2 * QD + 2 * KD + 3 * c.n_ff + c.head_dim + 2 + c.n_embd + c.n_vocab);
}

Status grow(kc::Buffer& b, size_t bytes, std::string_view what) {
  if (b.bytes() >= bytes) return Status::ok();
  b = kc::Buffer();  // free first: the old and the new need not fit together
  auto n = kc::Buffer::allocate(bytes, what);
  if (!n) return n.error();
  b = std::move(*n);
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<CudaForward>> CudaForward::create(const ModelConfig& c, const TransformerWeights& w) {
  if (c.head_dim > kc::kMaxAttentionHeadDim || c.head_dim % 2 != 0)
    return error("the CUDA backend's attention takes an even head dimension up to ", kc::kMaxAttentionHeadDim,
                 "; this model's is ", c.head_dim, ": use --device cpu");
  if (kc::device_count() == 0) return error("no CUDA device is visible (no GPU, or no driver)");
  auto info = kc::device_info(0);
  if (!info) return info.error();
  const int64_t weights = device_weight_bytes(w);
  const int64_t working = kFitRows * bytes_per_row(c) + (64 << 20) +
                          4 * (c.n_heads / c.n_kv_heads) * kFitRows * kFitRows;  // long attention's scores
  if (weights + working > info->free_bytes)
    return error("the model needs ", bytes_text(weights + working), " on the GPU (weights ", bytes_text(weights),
                 ", working memory for ", kFitRows, " positions ", bytes_text(working), ") but ", info->name,
                 " has ", bytes_text(info->free_bytes), " free of ", bytes_text(info->total_bytes),
                 ": use --device cpu, a smaller model, or free GPU memory");
  std::unique_ptr<CudaForward> f(new CudaForward(c));
  f->device_ = *info;
  auto stream = kc::Stream::create();
  if (!stream) return stream.error();
  f->stream_ = std::move(*stream);
  auto blas = kc::Blas::create(f->stream_.handle());
  if (!blas) return blas.error();
  f->blas_ = std::move(*blas);
  auto dw = upload_weights(c, w, f->stream_.handle());
  if (!dw) return dw.error();
  f->weights_ = std::move(*dw);
  INFILLD_TRY(f->stream_.synchronize());
  const char* graphs = std::getenv("INFILLD_CUDA_GRAPHS");
  f->use_graphs_ = graphs == nullptr || std::string_view(graphs) != "0";
  const char* rows = std::getenv("INFILLD_CUDA_LONG_ATTENTION_ROWS");
  f->long_rows_ = rows != nullptr && std::atoll(rows) > 0 ? std::atoll(rows) : kc::kLongAttentionRows;
  return f;
}

Status CudaForward::ensure_rows(int64_t T, int64_t R) {
  const int64_t H = c_.n_embd, F = c_.n_ff, V = c_.n_vocab, D = c_.head_dim;
  const int64_t QD = c_.n_heads * D, KD = c_.n_kv_heads * D;
  if (T > rows_) {
    graphs_.clear();  // they hold the old buffers' addresses
    const int64_t n = std::max(T, rows_ + rows_ / 2);
    const auto f = [n](int64_t width) { return static_cast<size_t>(n * width) * 4; };
    INFILLD_TRY(grow(ids_, f(1), "token ids"));
    INFILLD_TRY(grow(positions_, f(1), "positions"));
    INFILLD_TRY(grow(rope_, f(D), "the RoPE table"));
    INFILLD_TRY(grow(x_, f(H), "activations"));
    INFILLD_TRY(grow(h_, f(H), "activations"));
    INFILLD_TRY(grow(q_, f(QD), "queries"));
    INFILLD_TRY(grow(k_, f(KD), "keys"));
    INFILLD_TRY(grow(v_, f(KD), "values"));
    INFILLD_TRY(grow(att_, f(QD), "attention outputs"));
    INFILLD_TRY(grow(gate_, f(F), "activations"));
    INFILLD_TRY(grow(up_, f(F), "activations"));
    INFILLD_TRY(grow(act_, f(F), "activations"));
    rows_ = n;
  }
  if (R > head_capacity_) {
    const int64_t n = std::max(R, head_capacity_ + head_capacity_ / 2);
    INFILLD_TRY(grow(head_index_, static_cast<size_t>(n) * 4, "LM head rows"));
    INFILLD_TRY(grow(head_h_, static_cast<size_t>(n * H) * 4, "LM head inputs"));
    INFILLD_TRY(grow(logits_, static_cast<size_t>(n * V) * 4, "logits"));
    INFILLD_TRY(grow(tokens_, static_cast<size_t>(n) * 4, "chosen tokens"));
    INFILLD_TRY(grow(scores_, static_cast<size_t>(n) * 4, "scores"));
    INFILLD_TRY(grow(choice_, static_cast<size_t>(1 + 2 * n) * 4, "revealed positions"));
    head_capacity_ = n;
  }
  return Status::ok();
}

Status CudaForward::layers(std::span<const Sequence> seqs, const AttentionMask& mask, int64_t T) {
  const int64_t H = c_.n_embd, F = c_.n_ff, D = c_.head_dim;
  const int64_t QD = c_.n_heads * D, KD = c_.n_kv_heads * D;
  const float eps = static_cast<float>(c_.norm_eps);
  kc::StreamHandle s = stream_.handle();
  float* x = x_.as<float>();
  float *q = q_.as<float>(), *k = k_.as<float>(), *v = v_.as<float>();
  float *gate = gate_.as<float>(), *up = up_.as<float>();

  kc::embedding(weights_.embed.dtype, weights_.embed.data, ids_.as<int32_t>(), T, H, x, s);  // x [T, H]
  kc::rope_table(positions_.as<int32_t>(), T, D, c_.rope_theta, rope_.as<float>(), s);       // [T, D]
  for (const DeviceLayer& L : weights_.layers) {
    const size_t l = static_cast<size_t>(&L - weights_.layers.data());
    kc::rmsnorm(x, nullptr, T, H, L.attn_norm, eps, L.wq.dtype, h_.data(), s);  // h [T, H]
    INFILLD_TRY(blas_.gemm_xwt(L.wq.dtype, T, QD, H, h_.data(), L.wq.data, q, 0.0f));  // q [T, A*D]
    INFILLD_TRY(blas_.gemm_xwt(L.wk.dtype, T, KD, H, h_.data(), L.wk.data, k, 0.0f));  // k [T, K*D]
    INFILLD_TRY(blas_.gemm_xwt(L.wv.dtype, T, KD, H, h_.data(), L.wv.data, v, 0.0f));  // v [T, K*D]
    if (L.bq != nullptr) {
      kc::add_bias(q, T, QD, L.bq, s);
      kc::add_bias(k, T, KD, L.bk, s);
      kc::add_bias(v, T, KD, L.bv, s);
    }
    kc::rope(q, T, c_.n_heads, D, rope_.as<float>(), s);
    kc::rope(k, T, c_.n_kv_heads, D, rope_.as<float>(), s);
    // Attention within each sequence: its rows over its own keys, or over its cache's.
    const size_t att_elt = dtype_size(L.wo.dtype);
    int64_t row0 = 0;
    for (const Sequence& seq : seqs) {
      const int64_t n = seq.r1 - seq.r0;
      const float* keys = k + row0 * KD;
      const float* values = v + row0 * KD;
      int64_t n_keys = n;
      if (seq.cache != nullptr) {  // the new rows replace their cache rows; attend over all
        const size_t bytes = static_cast<size_t>(n * KD) * sizeof(float);
        INFILLD_TRY(kc::copy_on_device(seq.cache->k_rows(l, seq.r0), keys, bytes, s));
        INFILLD_TRY(kc::copy_on_device(seq.cache->v_rows(l, seq.r0), values, bytes, s));
        keys = seq.cache->k_rows(l, 0);
        values = seq.cache->v_rows(l, 0);
        n_keys = seq.cache->n_positions;
      }
      kc::AttentionArgs a;
      a.q = q + row0 * QD;
      a.k = keys;
      a.v = values;
      a.out = static_cast<char*>(att_.data()) + static_cast<size_t>(row0 * QD) * att_elt;  // att [T, A*D]
      a.out_dtype = L.wo.dtype;
      a.shape = kernels::AttentionShape{n, n_keys, seq.r0, c_.n_heads, c_.n_kv_heads, D};
      a.mask = mask;
      a.multiprocessors = device_.multiprocessors;
      a.split_scratch = attn_scratch_.as<float>();
      if (kc::use_long_attention(a.shape, long_rows_)) {
        INFILLD_TRY(kc::long_attention(a, blas_, attn_scratch_.as<float>(), s));
      } else {
        kc::attention(a, s);
      }
      row0 += n;
    }
    INFILLD_TRY(blas_.gemm_xwt(L.wo.dtype, T, H, QD, att_.data(), L.wo.data, x, 1.0f));  // x += att wo^T
    kc::rmsnorm(x, nullptr, T, H, L.ffn_norm, eps, L.w_gate.dtype, h_.data(), s);
    INFILLD_TRY(blas_.gemm_xwt(L.w_gate.dtype, T, F, H, h_.data(), L.w_gate.data, gate, 0.0f));  // gate [T, F]
    INFILLD_TRY(blas_.gemm_xwt(L.w_up.dtype, T, F, H, h_.data(), L.w_up.data, up, 0.0f));        // up [T, F]
    kc::swiglu(gate, up, T * F, L.w_down.dtype, act_.data(), s);
    INFILLD_TRY(blas_.gemm_xwt(L.w_down.dtype, T, H, F, act_.data(), L.w_down.data, x, 1.0f));  // x += act wd^T
  }
  return kc::launch_status();
}

Status CudaForward::run(std::span<const Sequence> seqs, const AttentionMask& mask) {
  int64_t T = 0;
  bool all_rows = true;
  host_head_.clear();
  for (const Sequence& seq : seqs) {
    const int64_t S = static_cast<int64_t>(seq.tokens.size());
    INFILLD_TRY(check_sequence(c_, seq.tokens, seq.r0, seq.r1, seq.cache != nullptr, seq.head_rows));
    if (seq.cache != nullptr && seq.cache->n_positions != S)
      return error("forward: the K/V cache holds ", seq.cache->n_positions, " positions, the sequence ", S);
    if (seq.head_rows.empty()) {
      for (int64_t r = seq.r0; r < seq.r1; ++r) host_head_.push_back(static_cast<int32_t>(T + r - seq.r0));
    } else {
      all_rows = false;
      for (int64_t r : seq.head_rows) host_head_.push_back(static_cast<int32_t>(T + r - seq.r0));
    }
    T += seq.r1 - seq.r0;
  }
  if (T == 0) return error("forward: nothing to compute");
  const std::span<const int32_t> head_rows = all_rows ? std::span<const int32_t>() : std::span<const int32_t>(host_head_);
  const int64_t R = all_rows ? T : static_cast<int64_t>(head_rows.size());
  INFILLD_TRY(ensure_rows(T, R));
  // The attention's scratch (the long route's scores or the split keys' partial results),
  // for the largest sequence, before any graph is captured.
  int64_t scratch = 0;
  for (const Sequence& seq : seqs) {
    const int64_t S = seq.cache != nullptr ? seq.cache->n_positions : seq.r1 - seq.r0;
    const kernels::AttentionShape shape{seq.r1 - seq.r0, S, seq.r0, c_.n_heads, c_.n_kv_heads, c_.head_dim};
    if (kc::use_long_attention(shape, long_rows_)) {
      for (const DeviceLayer& L : weights_.layers) scratch = std::max(scratch, kc::long_attention_scratch(shape, L.wo.dtype));
    } else {
      scratch = std::max(scratch, kc::attention_split_scratch(shape, device_.multiprocessors));
    }
  }
  if (static_cast<size_t>(scratch) * sizeof(float) > attn_scratch_.bytes()) {
    graphs_.clear();
    INFILLD_TRY(grow(attn_scratch_, static_cast<size_t>(scratch) * sizeof(float), "attention scores"));
  }

  host_ids_.clear();
  host_positions_.clear();
  for (const Sequence& seq : seqs)
    for (int64_t p = seq.r0; p < seq.r1; ++p) {
      host_ids_.push_back(seq.tokens[p]);
      host_positions_.push_back(static_cast<int32_t>(p));
    }
  kc::StreamHandle s = stream_.handle();
  INFILLD_TRY(kc::copy_to_device(ids_.data(), host_ids_.data(), static_cast<size_t>(T) * 4, s));
  INFILLD_TRY(kc::copy_to_device(positions_.data(), host_positions_.data(), static_cast<size_t>(T) * 4, s));
  if (!head_rows.empty())
    INFILLD_TRY(kc::copy_to_device(head_index_.data(), head_rows.data(), static_cast<size_t>(R) * 4, s));

  // One sequence whose shape repeats: capture its layers once, then replay them.
  if (use_graphs_ && seqs.size() == 1) {
    const Sequence& seq = seqs[0];
    const GraphKey key{T, seq.r0, static_cast<int64_t>(seq.tokens.size()),
                       seq.cache != nullptr ? seq.cache->generation : 0, static_cast<int>(mask.kind),
                       mask.context_length, mask.block_length};
    auto it = graphs_.find(key);
    if (it == graphs_.end() && key == last_key_) {
      if (graphs_.size() >= 16) graphs_.clear();
      INFILLD_TRY(kc::Graph::begin_capture(s));
      Status captured = layers(seqs, mask, T);
      auto graph = kc::Graph::end_capture(s);
      INFILLD_TRY(captured);
      if (!graph) return graph.error();
      it = graphs_.emplace(key, std::move(*graph)).first;
    }
    last_key_ = key;
    if (it != graphs_.end()) {
      INFILLD_TRY(it->second.launch(s));
      ++graphs_replayed_;
    } else {
      INFILLD_TRY(layers(seqs, mask, T));
    }
  } else {
    INFILLD_TRY(layers(seqs, mask, T));
  }
  const DeviceMatrix& lm = weights_.lm_head;
  kc::rmsnorm(x_.as<float>(), head_rows.empty() ? nullptr : head_index_.as<int32_t>(), R, c_.n_embd,
              weights_.final_norm, static_cast<float>(c_.norm_eps), lm.dtype, head_h_.data(), s);
  INFILLD_TRY(blas_.gemm_xwt(lm.dtype, R, c_.n_vocab, c_.n_embd, head_h_.data(), lm.data, logits_.as<float>(), 0.0f));
  last_head_rows_ = R;
  return kc::launch_status();
}

Status CudaForward::logits_to_host(int64_t row0, int64_t n, std::vector<float>& out) {
  if (row0 < 0 || n < 0 || row0 + n > last_head_rows_) return error("logits: rows outside the last forward's");
  const int64_t V = c_.n_vocab;
  out.resize(static_cast<size_t>(n * V));
  INFILLD_TRY(kc::copy_to_host(out.data(), logits_.as<float>() + row0 * V, out.size() * sizeof(float), stream_.handle()));
  return stream_.synchronize();
}

Status CudaForward::reveal(const kc::ScoreArgs& scoring, kc::RevealRule rule, int64_t count, double tau,
                           std::vector<Choice>& out) {
  const int64_t n = last_head_rows_;
  out.clear();
  if (n == 0) return Status::ok();
  if (n > kc::kMaxRevealCandidates) return error("device scoring takes at most ", kc::kMaxRevealCandidates, " rows");
  kc::ScoreArgs a = scoring;
  a.logits = logits_.as<float>();
  a.n_rows = n;
  a.row_stride = c_.n_vocab;
  a.tokens = tokens_.as<int32_t>();
  a.scores = scores_.as<float>();
  kc::StreamHandle s = stream_.handle();
  kc::score_rows(a, s);
  kc::select_reveal(a.scores, a.tokens, n, rule, count, tau, choice_.as<int32_t>(), s);
  INFILLD_TRY(kc::launch_status());
  host_choice_.resize(static_cast<size_t>(1 + 2 * n));
  INFILLD_TRY(kc::copy_to_host(host_choice_.data(), choice_.data(), host_choice_.size() * 4, s));
  INFILLD_TRY(stream_.synchronize());
  const int64_t c = std::min<int64_t>(std::max(host_choice_[0], 0), n);
  for (int64_t i = 0; i < c; ++i) out.push_back({host_choice_[1 + 2 * i], host_choice_[2 + 2 * i]});
  return Status::ok();
}

}  // namespace infilld::engine::cuda
