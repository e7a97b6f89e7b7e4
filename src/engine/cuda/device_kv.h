// K/V rows on the GPU, per layer: the CUDA backend's KvCache (the approximate prefix and
// dual caches, one per request) and its exact context cache (block-causal models).
//
// Which thread may call what: the engine worker thread that owns the CUDA model.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cuda/device.h"

namespace infilld::engine::cuda {

struct DeviceKv {
  int64_t n_positions = 0;  // rows that hold K/V
  int64_t capacity = 0;     // rows allocated
  int64_t width = 0;        // K*D floats per row
  uint64_t generation = 0;  // new for every allocation (graphs hold the buffers' addresses)
  std::vector<kernels::cuda::Buffer> k, v;  // per layer [capacity, K*D] float32, after RoPE

  float* k_rows(int64_t layer, int64_t row) const { return k[layer].as<float>() + row * width; }
  float* v_rows(int64_t layer, int64_t row) const { return v[layer].as<float>() + row * width; }

  // Makes room for `rows` rows, keeping the first `keep` of them (copied when it grows).
  Status reserve(int64_t n_layers, int64_t kv_width, int64_t rows, int64_t keep, kernels::cuda::StreamHandle stream);
};

}  // namespace infilld::engine::cuda
