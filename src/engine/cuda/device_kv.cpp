#include "engine/cuda/device_kv.h"

namespace infilld::engine::cuda {

namespace kc = kernels::cuda;

Status DeviceKv::reserve(int64_t n_layers, int64_t kv_width, int64_t rows, int64_t keep, kc::StreamHandle stream) {
  if (rows <= capacity && kv_width == width && static_cast<int64_t>(k.size()) == n_layers) return Status::ok();
  // Grow by half again, so that a context growing a token at a time is not copied each time.
  const int64_t new_capacity = std::max(rows, capacity + capacity / 2);
  const size_t bytes = static_cast<size_t>(new_capacity * kv_width) * sizeof(float);
  std::vector<kc::Buffer> nk, nv;
  for (int64_t l = 0; l < n_layers; ++l) {
    auto kb = kc::Buffer::allocate(bytes, "the K/V cache");
    if (!kb) return kb.error();
    auto vb = kc::Buffer::allocate(bytes, "the K/V cache");
    if (!vb) return vb.error();
    const bool copy = keep > 0 && kv_width == width && l < static_cast<int64_t>(k.size());
    if (copy) {
      const size_t kept = static_cast<size_t>(std::min(keep, capacity) * width) * sizeof(float);
      INFILLD_TRY(kc::copy_on_device(kb->data(), k[l].data(), kept, stream));
      INFILLD_TRY(kc::copy_on_device(vb->data(), v[l].data(), kept, stream));
    }
    nk.push_back(std::move(*kb));
    nv.push_back(std::move(*vb));
  }
  INFILLD_TRY(kc::launch_status());
  k = std::move(nk);
  v = std::move(nv);
  capacity = new_capacity;
  static uint64_t allocations = 0;  // the engine worker thread only
  generation = ++allocations;
  width = kv_width;
  return Status::ok();
}

}  // namespace infilld::engine::cuda
