// A model's weights on the GPU, uploaded once in their stored dtype (BF16 and F16 stay 16-bit:
// no float32 copy of a 7B model); norms and biases as float32 vectors.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/models/model_config.h"
#include "engine/models/transformer.h"
#include "kernels/cuda/device.h"

namespace infilld::engine::cuda {

// A matrix [rows, cols] on the device, row-major, in `dtype`.
struct DeviceMatrix {
  const void* data = nullptr;
  DType dtype = DType::F32;
  int64_t rows = 0, cols = 0;
};

struct DeviceLayer {
  const float* attn_norm = nullptr;  // [H]
  DeviceMatrix wq, wk, wv, wo;       // [A*D, H], [K*D, H], [K*D, H], [H, A*D]
  const float *bq = nullptr, *bk = nullptr, *bv = nullptr;  // null without biases
  const float* ffn_norm = nullptr;   // [H]
  DeviceMatrix w_gate, w_up, w_down; // [F, H], [F, H], [H, F]
};

struct DeviceWeights {
  DeviceMatrix embed;  // [V, H]
  std::vector<DeviceLayer> layers;
  const float* final_norm = nullptr;
  DeviceMatrix lm_head;  // the embedding's buffer when tied
  int64_t bytes = 0;     // device memory the weights take
  std::vector<kernels::cuda::Buffer> storage;
};

// Bytes upload_weights() allocates for these weights (what the fit check compares).
int64_t device_weight_bytes(const TransformerWeights& w);

// Copies every weight to the device. The matrices of one matmul input (q/k/v, gate/up)
// must share a dtype, since the activations are cast once for them.
Expected<DeviceWeights> upload_weights(const ModelConfig& config, const TransformerWeights& w,
                                       kernels::cuda::StreamHandle stream);

}  // namespace infilld::engine::cuda
