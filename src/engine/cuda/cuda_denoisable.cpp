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

AttentionMask CudaDenoisable::own_mask() const {
  AttentionMask mask;
  mask.kind = model_.config().attention;
  return mask;
}

Status CudaDenoisable::forward(std::span<const int32_t> tokens, std::vector<float>& logits) {
  const CudaForward::Sequence seq{tokens, 0, static_cast<int64_t>(tokens.size()), nullptr};
  INFILLD_TRY(gpu_->run({&seq, 1}, own_mask(), {}));
  return gpu_->logits_to_host(0, static_cast<int64_t>(tokens.size()), logits);
}

Status CudaDenoisable::forward_batch(std::span<const std::span<const int32_t>> canvases,
                                     std::span<std::vector<float>*> logits) {
  if (canvases.size() != logits.size())
    return error("forward_batch: ", canvases.size(), " sequences but ", logits.size(), " outputs");
  std::vector<CudaForward::Sequence> seqs;
  for (auto c : canvases) seqs.push_back({c, 0, static_cast<int64_t>(c.size()), nullptr});
  INFILLD_TRY(gpu_->run(seqs, own_mask(), {}));
  int64_t row0 = 0;
  for (size_t i = 0; i < canvases.size(); ++i) {
    const auto n = static_cast<int64_t>(canvases[i].size());
    INFILLD_TRY(gpu_->logits_to_host(row0, n, *logits[i]));
    row0 += n;
  }
  return Status::ok();
}

Status CudaDenoisable::forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask,
                                           std::vector<float>& logits, int64_t& reused) {
  if (mask.kind == MaskKind::Full)
    return error("a context cache is exact only under a causal or block-causal mask; this model attends fully");
  const ModelConfig& c = model_.config();
  const int64_t n = static_cast<int64_t>(tokens.size());
  reused = reusable_rows(context_tokens_, tokens, mask);
  Status s = context_kv_.reserve(c.n_layers, c.n_kv_heads * c.head_dim, n, reused, gpu_->stream());
  if (s) {
    context_kv_.n_positions = n;
    const CudaForward::Sequence seq{tokens, reused, n, &context_kv_};
    s = gpu_->run({&seq, 1}, mask, {});
  }
  if (s) s = gpu_->logits_to_host(0, n - reused, logits);
  if (!s) {
    context_tokens_.clear();
    return s;
  }
  context_tokens_.assign(tokens.begin(), tokens.end());
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

Status CudaDenoisable::forward_cached(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                                      std::vector<float>& logits) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  auto kv = device_cache(cache, n, r0 == 0 && r1 == n);
  if (!kv) return kv.error();
  const CudaForward::Sequence seq{tokens, r0, r1, *kv};
  INFILLD_TRY(gpu_->run({&seq, 1}, own_mask(), {}));
  return gpu_->logits_to_host(0, r1 - r0, logits);
}

bool CudaDenoisable::reveals_on_device(const DecodeOptions& o) const {
  return o.temperature == 0.0 && o.policy != Policy::Random;
}

Status CudaDenoisable::forward_reveal(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache* cache,
                                      const RevealStep& step, std::vector<Revealed>& revealed) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  revealed.clear();
  head_rows_.clear();
  for (int64_t p : step.positions) {
    const int64_t row = (step.shifted ? p - 1 : p) - r0;
    if (row < 0 || row >= r1 - r0) return error("forward_reveal: position ", p, " has no row in [", r0, ", ", r1, ")");
    head_rows_.push_back(static_cast<int32_t>(row));
  }
  if (head_rows_.empty()) return Status::ok();
  CudaForward::Sequence seq{tokens, r0, r1, nullptr};  // run() refuses a partial range without a cache
  if (cache != nullptr) {
    auto kv = device_cache(*cache, n, r0 == 0 && r1 == n);
    if (!kv) return kv.error();
    seq.cache = *kv;
  }
  INFILLD_TRY(gpu_->run({&seq, 1}, own_mask(), head_rows_));

  kc::ScoreArgs scoring;
  scoring.n_choosable = step.n_choosable;
  scoring.excluded0 = step.excluded[0];
  scoring.excluded1 = step.excluded[1];
  scoring.policy = step.policy == Policy::Margin    ? kc::ScorePolicy::Margin
                   : step.policy == Policy::Entropy ? kc::ScorePolicy::Entropy
                                                    : kc::ScorePolicy::Confidence;
  const kc::RevealRule rule = step.choice.rule == kernels::RevealRule::Threshold ? kc::RevealRule::Threshold
                              : step.choice.rule == kernels::RevealRule::Factor  ? kc::RevealRule::Factor
                                                                       : kc::RevealRule::Count;
  INFILLD_TRY(gpu_->reveal(scoring, rule, step.choice.count, step.choice.tau, choices_));
  for (const CudaForward::Choice& ch : choices_) revealed.push_back({step.positions[ch.candidate], ch.token});
  return Status::ok();
}

}  // namespace infilld::engine::cuda
