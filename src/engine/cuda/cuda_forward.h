// The decoder stack's forward pass on the GPU (the math of models/transformer.cpp, op by op
// on kernels/cuda and cuBLAS): activations stay on the device, the final norm and the LM head
// run only on the rows the caller asks for, and logits leave the device only when asked.
// A single sequence's layers are captured in a CUDA graph the second time a shape repeats
// (the steps of a block), then replayed.
//
// Which thread may call what: the engine worker thread that owns it (DESIGN.md section 3).
#pragma once

#include <map>
#include <memory>
#include <span>
#include <tuple>
#include <vector>

#include "engine/cuda/device_kv.h"
#include "engine/cuda/device_weights.h"
#include "engine/models/model_config.h"
#include "engine/models/transformer.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/scoring.h"
#include "kernels/cuda/select.h"

namespace infilld::engine::cuda {

class CudaForward {
 public:
  // Uploads the weights after checking that they and the working memory fit on the device.
  static Expected<std::unique_ptr<CudaForward>> create(const ModelConfig& config, const TransformerWeights& weights);

  // Rows [r0, r1) of one sequence; with a cache, the rows' K/V are written into it at r0 and
  // the rows attend over all of its n_positions rows (as forward_sequences on the CPU).
  // The LM head runs on `head_rows` (ascending sequence rows inside [r0, r1); empty: all).
  struct Sequence {
    std::span<const int32_t> tokens;
    int64_t r0 = 0, r1 = 0;
    DeviceKv* cache = nullptr;
    std::span<const int64_t> head_rows;
  };

  // The sequences' rows stacked, then the final norm and LM head on their head rows, stacked
  // in the same order. The logits stay on the device.
  Status run(std::span<const Sequence> sequences, const AttentionMask& mask);
  // Rows [row0, row0 + n) of the last run's logits, to the host: [n, V].
  Status logits_to_host(int64_t row0, int64_t n, std::vector<float>& out);

  struct Choice {
    int32_t candidate = 0;  // index into the last run's head rows
    int32_t token = 0;
  };
  // Scores the last run's head rows and picks the revealed ones on the device; only they
  // come back, best first.
  Status reveal(const kernels::cuda::ScoreArgs& scoring, kernels::cuda::RevealRule rule, int64_t count, double tau,
                std::vector<Choice>& out);

  kernels::cuda::StreamHandle stream() const { return stream_.handle(); }
  const kernels::cuda::DeviceInfo& device() const { return device_; }
  int64_t weight_bytes() const { return weights_.bytes; }
  int32_t graphs_replayed() const { return graphs_replayed_; }

 private:
  CudaForward(const ModelConfig& config) : c_(config) {}
  Status ensure_rows(int64_t T, int64_t R);
  // Everything from the embedding to the last layer (what a graph holds).
  Status layers(std::span<const Sequence> sequences, const AttentionMask& mask, int64_t T);

  ModelConfig c_;
  kernels::cuda::DeviceInfo device_;
  kernels::cuda::Stream stream_;
  kernels::cuda::Blas blas_;
  DeviceWeights weights_;

  // Working memory, sized for rows_ stacked rows and head_rows_ LM head rows.
  int64_t rows_ = 0, head_capacity_ = 0;
  kernels::cuda::Buffer ids_, positions_, rope_, x_, h_, q_, k_, v_, att_, gate_, up_, act_;
  kernels::cuda::Buffer head_index_, head_h_, logits_, tokens_, scores_, choice_;
  kernels::cuda::Buffer attn_scratch_;  // attention scores (kernels/cuda/long_attention.h) or split-key partials
  int64_t last_head_rows_ = 0;
  std::vector<int32_t> host_ids_, host_positions_, host_head_;
  std::vector<int32_t> host_choice_;

  // Graphs of single-sequence layer runs, by shape and cache placement.
  using GraphKey = std::tuple<int64_t, int64_t, int64_t, uint64_t, int, int64_t, int64_t>;
  std::map<GraphKey, kernels::cuda::Graph> graphs_;
  GraphKey last_key_{};
  bool use_graphs_ = true;
  int64_t long_rows_ = 64;  // query rows from which attention goes through cuBLAS
  int32_t graphs_replayed_ = 0;
};

}  // namespace infilld::engine::cuda
