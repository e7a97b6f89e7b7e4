// The CUDA RMSNorm against its CPU twin. Compiled only with the CUDA backend; skips
// cleanly on machines without a GPU (all of ours but the GPU box).
#include <doctest/doctest.h>

#ifdef INFILLD_HAVE_CUDA
#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/norm.h"
#include "kernels/cuda/rmsnorm.h"

TEST_CASE("cuda rmsnorm: matches the CPU twin") {
  using namespace infilld::kernels;
  if (!cuda::device_available()) {
    MESSAGE("skipped: no CUDA device on this machine");
    return;
  }
  const int64_t rows = 7, dim = 896;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(rows * dim), w(dim), y_cpu(rows * dim), y_gpu(rows * dim);
  for (float& v : x) v = normal(rng);
  for (float& v : w) v = 1.0f + 0.1f * normal(rng);
  rmsnorm(x.data(), rows, dim, w.data(), 1e-6f, y_cpu.data());
  REQUIRE(cuda::rmsnorm_host(x.data(), rows, dim, w.data(), 1e-6f, y_gpu.data()) == "");
  for (size_t i = 0; i < x.size(); ++i) CHECK(std::fabs(y_cpu[i] - y_gpu[i]) < 1e-4f);
}
#endif
