#include "cli/device_flag.h"

#include <cstdio>

namespace infilld::cli {

Expected<engine::Backend> backend_for(const Flags& flags, const engine::Model& model) {
  auto device = engine::parse_device(flags.get("device").value_or("auto"));
  if (!device) return error("--device: ", device.message());
  std::string reason;
  auto backend = engine::make_backend(model, *device, &reason);
  if (backend && *device == engine::Device::Auto && engine::has_cuda_backend() && !reason.empty() &&
      reason != "no CUDA device is visible")
    std::fprintf(stderr, "infilld: note: running on the CPU: %s\n", reason.c_str());
  return backend;
}

}  // namespace infilld::cli
