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
  Status forward(std::span<const int32_t> tokens, std::vector<float>& logits) override;
  Status forward_batch(std::span<const std::span<const int32_t>> canvases,
                       std::span<std::vector<float>*> logits) override;
  Status forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask,
                             std::vector<float>& logits, int64_t& reused) override;
  bool supports_kv_cache() const override { return model_.config().attention == MaskKind::Full; }
  Status forward_cached(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                        std::vector<float>& logits) override;
  bool reveals_on_device(const DecodeOptions& options) const override;
  Status forward_reveal(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache* cache,
                        const RevealStep& step, std::vector<Revealed>& revealed) override;

  const CudaForward& gpu() const { return *gpu_; }

 private:
  CudaDenoisable(const Model& model, std::unique_ptr<CudaForward> gpu) : model_(model), gpu_(std::move(gpu)) {}
  AttentionMask own_mask() const;
  // The request's device K/V: a full range (re)sizes it, a partial one must match it.
  Expected<DeviceKv*> device_cache(KvCache& cache, int64_t n_tokens, bool full);

  const Model& model_;
  std::unique_ptr<CudaForward> gpu_;
  // The exact context cache of block-causal and causal models (ContextCache's twin).
  std::vector<int32_t> context_tokens_;
  DeviceKv context_kv_;
  std::vector<int32_t> head_rows_;
  std::vector<CudaForward::Choice> choices_;
};

}  // namespace infilld::engine::cuda
