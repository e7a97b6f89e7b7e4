#include "cli/device_flag.h"

#include <cstdio>

namespace infilld::cli {

Expected<engine::LoadOptions> load_options(const Flags& flags) {
  auto q = engine::parse_quantization(flags.get("quantize").value_or("none"));
  if (!q) return error("--quantize: ", q.message());
  return engine::LoadOptions{.quantize = *q, .attention = std::nullopt};
}

Expected<engine::Backend> backend_for(const Flags& flags, const engine::Model& model) {
  const std::string asked = flags.get("device").value_or("auto");
  auto device = engine::parse_device(asked);
  if (!device) return error("--device: ", device.message());
  std::string reason;
  auto backend = engine::make_backend(model, *device, &reason);
  if (backend) note_cpu_fallback(asked, reason);
  return backend;
}

void note_cpu_fallback(std::string_view asked, const std::string& reason) {
  if (asked == "auto" && engine::has_cuda_backend() && !reason.empty() && reason != "no CUDA device is visible")
    std::fprintf(stderr, "infilld: note: running on the CPU: %s\n", reason.c_str());
}

}  // namespace infilld::cli
