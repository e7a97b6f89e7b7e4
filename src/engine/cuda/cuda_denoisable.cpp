#include "engine/cuda/cuda_denoisable.h"

#include "engine/context_cache.h"

namespace infilld::engine::cuda {

namespace kc = kernels::cuda;

Expected<std::unique_ptr<CudaDenoisable>> CudaDenoisable::create(const Model& model) {
  if (!model.has_weights()) return error("the model was loaded without its weights");
  auto gpu = CudaForward::create(model.config(), model.weights());
  if (!gpu) return gpu.error();
  return std::unique_ptr<CudaDenoisable>(new CudaDenoisable(model, std::move(*gpu)));
}


Expected<CudaForward::Sequence> CudaDenoisable::sequence(const ForwardCall& call, int64_t& reused) {
  const int64_t n = static_cast<int64_t>(call.tokens.size());
  CudaForward::Sequence seq{call.tokens, 0, n, nullptr, call.head_rows};
  reused = 0;
  if (call.cache == ForwardCall::Cache::Kv) {
    auto kv = device_cache(*call.kv, n, call.r0 == 0 && call.r1 == n);
    if (!kv) return kv.error();
    seq.r0 = call.r0;
    seq.r1 = call.r1;
    seq.cache = *kv;
  } else if (call.cache == ForwardCall::Cache::Context) {
    const ModelConfig& c = model_.config();
    auto rows = context_rows(context_tokens_, call.tokens, call.mask.value_or(model_.own_mask()), call.head_rows);
    if (!rows) return rows.error();
    reused = *rows;
    INFILLD_TRY(context_kv_.reserve(c.n_layers, c.n_kv_heads * c.head_dim, n, reused, gpu_->stream()));
    context_kv_.n_positions = n;
    seq.r0 = reused;
    seq.cache = &context_kv_;
  }
  return seq;
}

Status CudaDenoisable::take_logits(const CudaForward::Sequence& seq, int64_t row0, Logits& out) {
  if (seq.head_rows.empty()) {
    out.hold(seq.r0, seq.r1, n_vocab());
  } else {
    out.hold(seq.head_rows, n_vocab());
  }
  out.computed = seq.r1 - seq.r0;
  return gpu_->logits_to_host(row0, out.n_rows(), out.values);
}

Status CudaDenoisable::run(std::span<const ForwardCall> calls, std::span<Logits* const> out) {
  // Context-cache calls one by one (one cache); the others stacked in one run.
  std::vector<CudaForward::Sequence> stacked;
  std::vector<Logits*> stacked_out;
  for (size_t i = 0; i < calls.size(); ++i) {
    int64_t reused = 0;
    auto seq = sequence(calls[i], reused);
    if (!seq) return seq.error();
    if (calls[i].cache != ForwardCall::Cache::Context) {
      stacked.push_back(*seq);
      stacked_out.push_back(out[i]);
      continue;
    }
    Status s = gpu_->run({&*seq, 1}, calls[i].mask.value_or(model_.own_mask()));
    if (s) s = take_logits(*seq, 0, *out[i]);
    if (!s) {
      context_tokens_.clear();
      return s;
    }
    context_tokens_.assign(calls[i].tokens.begin(), calls[i].tokens.end());
  }
  if (stacked.empty()) return Status::ok();
  INFILLD_TRY(gpu_->run(stacked, model_.own_mask()));
  int64_t row0 = 0;
  for (size_t i = 0; i < stacked.size(); ++i) {
    INFILLD_TRY(take_logits(stacked[i], row0, *stacked_out[i]));
    row0 += stacked_out[i]->n_rows();
  }
  return Status::ok();
}

Expected<DeviceKv*> CudaDenoisable::device_cache(KvCache& cache, int64_t n_tokens, bool full) {
  const ModelConfig& c = model_.config();
  if (!cache.device) cache.device = std::make_shared<DeviceKv>();
  auto* kv = static_cast<DeviceKv*>(cache.device.get());
  if (full) {
    INFILLD_TRY(kv->reserve(c.n_layers, c.n_kv_heads * c.head_dim, n_tokens, 0, gpu_->stream()));
    kv->n_positions = n_tokens;
  } else if (kv->n_positions != n_tokens) {
    return error("forward: the K/V cache holds ", kv->n_positions, " positions, the canvas ", n_tokens);
  }
  cache.n_positions = n_tokens;
  return kv;
}

bool CudaDenoisable::reveals_on_device(const DecodeOptions& o) const {
  return o.temperature == 0.0 && o.policy != Policy::Random;
}

Status CudaDenoisable::run_reveal(const ForwardCall& call, const RevealStep& step, std::vector<Revealed>& revealed) {
  if (call.cache == ForwardCall::Cache::Context) return error("device scoring takes no context-cache forward");
  head_rows_.clear();
  for (int64_t p : step.positions) head_rows_.push_back(step.shifted ? p - 1 : p);
  ForwardCall scored = call;
  scored.head_rows = head_rows_;
  int64_t reused = 0;
  auto seq = sequence(scored, reused);
  if (!seq) return seq.error();
  INFILLD_TRY(gpu_->run({&*seq, 1}, model_.own_mask()));

  kc::ScoreArgs scoring;
  scoring.n_choosable = step.n_choosable;
  scoring.excluded0 = step.excluded[0];
  scoring.excluded1 = step.excluded[1];
  scoring.policy = step.policy == Policy::Margin    ? kc::ScorePolicy::Margin
                   : step.policy == Policy::Entropy ? kc::ScorePolicy::Entropy
                                                    : kc::ScorePolicy::Confidence;

  INFILLD_TRY(gpu_->reveal(scoring, step.choice.rule, step.choice.count, step.choice.tau, choices_));
  for (const CudaForward::Choice& ch : choices_) revealed.push_back({step.positions[ch.candidate], ch.token});
  return Status::ok();
}

}  // namespace infilld::engine::cuda
