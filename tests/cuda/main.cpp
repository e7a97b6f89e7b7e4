// The CUDA tests' main: built twice, on the CUDA emulator (always; kernels/cuda/emu) and on
// the CUDA runtime (label gpu, with the CUDA backend). Without a visible device it prints why
// and exits 77, which ctest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "kernels/cuda/device.h"

int main(int argc, char** argv) {
  if (infilld::kernels::cuda::device_count() == 0) {
    std::printf("skipped: no CUDA device on this machine\n");
    return 77;
  }
  auto info = infilld::kernels::cuda::device_info(0);
  // On stderr: ctest's test discovery reads the case list from stdout.
  if (info)
    std::fprintf(stderr, "device: %s, %lld MiB\n", info->name.c_str(), static_cast<long long>(info->total_bytes >> 20));
  doctest::Context context(argc, argv);
  return context.run();
}
