// The CUDA backend as the denoiser sees it: a Denoisable whose forwards run on the GPU
// (CudaForward), with the approximate caches' K/V and the exact context cache on the device,
// and greedy steps scored and chosen there (forward_reveal).
//
// Which thread may call what: the engine worker thread that owns it; the Model it was made
// from must outlive it.
#pragma once

#include <memory>
#include <vector>

#include "engine/cuda/cuda_forward.h"
#include "engine/model.h"

namespace infilld::engine::cuda {

class CudaDenoisable : public Denoisable {
 public:
  static Expected<std::unique_ptr<CudaDenoisable>> create(const Model& model);

  int64_t n_vocab() const override { return model_.config().n_vocab; }
  bool has_cache(ForwardCall::Cache cache) const override {
    return has_cache_for(model_.config().attention, cache);
  }
  bool reveals_on_device(const DecodeOptions& options) const override;

  const CudaForward& gpu() const { return *gpu_; }

 private:
  CudaDenoisable(const Model& model, std::unique_ptr<CudaForward> gpu) : model_(model), gpu_(std::move(gpu)) {}
  Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) override;
  Status run_reveal(const ForwardCall& call, const RevealStep& step, std::vector<Revealed>& revealed) override;
  // A call as the GPU's sequence: its device K/V (the request's, or the context cache's,
  // whose reusable rows `reused` receives).
  Expected<CudaForward::Sequence> sequence(const ForwardCall& call, int64_t& reused);
  // The head rows of the last run, `n` of them from `row0`, into `out` (rows for `call`).
  Status take_logits(const CudaForward::Sequence& seq, int64_t row0, Logits& out);
  // The request's device K/V: a full range (re)sizes it, a partial one must match it.
  Expected<DeviceKv*> device_cache(KvCache& cache, int64_t n_tokens, bool full);

  const Model& model_;
  std::unique_ptr<CudaForward> gpu_;
  // The exact context cache of block-causal and causal models (ContextCache's twin).
  std::vector<int32_t> context_tokens_;
  DeviceKv context_kv_;
  std::vector<int64_t> head_rows_;
  std::vector<CudaForward::Choice> choices_;
};

}  // namespace infilld::engine::cuda
