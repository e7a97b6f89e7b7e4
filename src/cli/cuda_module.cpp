#include "cli/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "engine/backend.h"
#include "engine/cuda/register.h"

namespace infilld::cli {

namespace {

namespace fs = std::filesystem;

// The device nodes and files an NVIDIA driver makes (WSL2's GPU is /dev/dxg). Without
// any of them no CUDA device can be visible to this process.
bool nvidia_driver_present() {
  for (const char* path : {"/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia/version", "/dev/dxg"})
    if (access(path, F_OK) == 0) return true;
  return false;
}

std::vector<fs::path> candidates() {
  if (const char* named = std::getenv("INFILLD_CUDA_MODULE"); named != nullptr && *named != '\0') return {named};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path dir = exe.parent_path();
  return {dir / "libinfilld_cuda.so", dir.parent_path() / "lib" / "infilld" / "libinfilld_cuda.so"};
}

int no_devices() { return 0; }

// What a machine without a driver gets: a backend with no devices, so that auto runs on the
// CPU without a note and --device cuda says why it cannot.
const engine::CudaBackend kNoDriver{&no_devices, nullptr, nullptr};

}  // namespace

const engine::CudaBackend* load_cuda_module(std::string* why) {
  const char* probe = std::getenv("INFILLD_CUDA_PROBE");
  if (!nvidia_driver_present() && (probe == nullptr || std::string_view(probe) != "always")) return &kNoDriver;
  std::string tried;
  for (const fs::path& path : candidates()) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      continue;
    }
    // RTLD_NOW: a symbol the binary does not provide is an error here, not a crash later.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      *why = "the CUDA module " + path.string() + " could not be loaded: " + dlerror();
      return nullptr;
    }
    using Entry = const engine::CudaBackend* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, INFILLD_CUDA_BACKEND_SYMBOL));
    if (entry == nullptr) {
      *why = "the CUDA module " + path.string() + " has no " INFILLD_CUDA_BACKEND_SYMBOL;
      return nullptr;
    }
    return entry();  // the module stays loaded for the life of the process
  }
  *why = "the CUDA module libinfilld_cuda.so was not found (looked for " + (tried.empty() ? "it" : tried) + ")";
  return nullptr;
}

}  // namespace infilld::cli
