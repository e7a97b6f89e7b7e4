#include "engine/cuda/register.h"

#include <cstdio>

#include "engine/backend.h"
#include "engine/cuda/cuda_denoisable.h"
#include "kernels/cuda/device.h"

namespace infilld::engine::cuda {

namespace {

Expected<std::unique_ptr<Denoisable>> create(const Model& model) {
  auto d = CudaDenoisable::create(model);
  if (!d) return d.error();
  return std::unique_ptr<Denoisable>(std::move(*d));
}

std::string describe() {
  auto info = kernels::cuda::device_info(0);
  if (!info) return info.message();
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.1f GiB)", static_cast<double>(info->total_bytes) / double(1 << 30));
  return info->name + buf;
}

const CudaBackend kBackend{&kernels::cuda::device_count, &create, &describe};

}  // namespace

void register_cuda_backend() { set_cuda_backend(&kBackend); }

}  // namespace infilld::engine::cuda

extern "C" [[gnu::visibility("default")]] const infilld::engine::CudaBackend* infilld_cuda_backend() {
  return &infilld::engine::cuda::kBackend;
}
