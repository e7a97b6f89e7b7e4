// Where a model runs: the CPU (ModelDenoisable) or a CUDA GPU (engine/cuda), chosen by
// --device / the "device" setting: auto (CUDA when this build has the backend and a GPU is
// present), cpu, or cuda (an error when it cannot be had).
//
// The CUDA backend is a separate library (so that the engine links without CUDA). In the
// infilld binary it is a module, libinfilld_cuda.so, loaded on first use (src/cli/cuda_module.h):
// the CUDA runtime and cuBLAS cost ~100 ms of every process start, and a process on a
// machine without an NVIDIA driver never loads them. The emulator build registers it
// directly with register_cuda_backend() (engine/cuda/register.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/denoise/denoiser.h"

namespace infilld::engine {

class Model;

enum class Device { Auto, Cpu, Cuda };

Expected<Device> parse_device(std::string_view name);  // "auto", "cpu", "cuda"
std::string_view device_name(Device d);

// What a CUDA backend library provides (engine/cuda/register.cpp).
struct CudaBackend {
  int (*device_count)() = nullptr;
  Expected<std::unique_ptr<Denoisable>> (*create)(const Model& model) = nullptr;
  std::string (*describe)() = nullptr;  // e.g. "NVIDIA H200 (139.8 GiB)"
};
void set_cuda_backend(const CudaBackend* backend);
// A loader called once, on first use, instead: it returns the backend, or null with the
// reason in `why`. Set once by main() before any thread starts, like set_cuda_backend.
using CudaBackendLoader = const CudaBackend* (*)(std::string* why);
void set_cuda_backend_loader(CudaBackendLoader load);
// This build can run models on a GPU (a backend registered, or a loader for one).
bool has_cuda_backend();

struct Backend {
  std::unique_ptr<Denoisable> model;
  Device device = Device::Cpu;
  std::string description;  // "cpu", or "cuda: <the GPU>"
};

// Makes the model's denoisable on the device asked for. Auto falls back to the CPU when
// there is no GPU or the model does not fit (the reason is in `fallback_reason`).
Expected<Backend> make_backend(const Model& model, Device device, std::string* fallback_reason = nullptr);

}  // namespace infilld::engine
