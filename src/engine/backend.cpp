#include "engine/backend.h"

#include <mutex>

#include "engine/model.h"

namespace infilld::engine {

namespace {

const CudaBackend* g_cuda = nullptr;          // set once by main() before any thread starts
CudaBackendLoader g_cuda_loader = nullptr;    // likewise
std::string g_cuda_missing = "this build has no CUDA backend";  // why g_cuda is null, once loaded

// The backend, loaded on the first call when main() gave a loader.
const CudaBackend* cuda_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (g_cuda != nullptr || g_cuda_loader == nullptr) return;
    std::string why;
    g_cuda = g_cuda_loader(&why);
    if (g_cuda == nullptr) g_cuda_missing = why;
  });
  return g_cuda;
}

Backend cpu_backend(const Model& model) {
  Backend b;
  b.model = std::make_unique<ModelDenoisable>(model);
  b.device = Device::Cpu;
  b.description = model.quantization() == Quantization::None ? "cpu" : "cpu (q8 weights)";
  return b;
}

}  // namespace

Expected<Device> parse_device(std::string_view name) {
  if (name == "auto") return Device::Auto;
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda") return Device::Cuda;
  return error("unknown device '", name, "' (expected auto, cpu or cuda)");
}

std::string_view device_name(Device d) {
  switch (d) {
    case Device::Auto: return "auto";
    case Device::Cpu: return "cpu";
    case Device::Cuda: return "cuda";
  }
  return "?";
}

void set_cuda_backend(const CudaBackend* backend) { g_cuda = backend; }
void set_cuda_backend_loader(CudaBackendLoader load) { g_cuda_loader = load; }
bool has_cuda_backend() { return g_cuda != nullptr || g_cuda_loader != nullptr; }

Expected<Backend> make_backend(const Model& model, Device device, std::string* fallback_reason) {
  if (device == Device::Cpu) return cpu_backend(model);
  const CudaBackend* cuda = cuda_backend();
  if (cuda == nullptr) {
    if (device == Device::Cuda) {
      if (g_cuda_loader == nullptr)
        return error("--device cuda: this build of infilld has no CUDA backend (it was built without nvcc and "
                     "cuBLAS; see README, Build options)");
      return error("--device cuda: ", g_cuda_missing);
    }
    if (fallback_reason != nullptr) *fallback_reason = g_cuda_missing;
    return cpu_backend(model);
  }
  if (cuda->device_count() == 0) {
    if (device == Device::Cuda) return error("--device cuda: no CUDA device is visible (no GPU, or no driver)");
    if (fallback_reason != nullptr) *fallback_reason = "no CUDA device is visible";
    return cpu_backend(model);
  }
  if (model.quantization() != Quantization::None) {  // our 8-bit kernels are the CPU's
    if (device == Device::Cuda)
      return error("--device cuda: ", quantization_name(model.quantization()),
                   " weights run on the CPU only (the CUDA backend takes the stored weights)");
    if (fallback_reason != nullptr) *fallback_reason = "8-bit weights (--quantize q8) run on the CPU";
    return cpu_backend(model);
  }
  auto gpu = cuda->create(model);
  if (!gpu) {
    if (device == Device::Cuda) return error("--device cuda: ", gpu.message());
    if (fallback_reason != nullptr) *fallback_reason = gpu.message();
    return cpu_backend(model);
  }
  Backend b;
  b.model = std::move(*gpu);
  b.device = Device::Cuda;
  b.description = "cuda: " + cuda->describe();
  return b;
}

}  // namespace infilld::engine
