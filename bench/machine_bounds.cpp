// bench_machine_bounds: this machine's own limits, for the forward pass's "within N x of the
// bound" figures (bench/forward_bound.py): the float32 FMA rate with AVX2 (and AVX-512 when
// the CPU has it and INFILLD_CPU_ISA does not cap it below), on one thread and on every
// core at once, and the copy bandwidth of a buffer far larger than the caches, on one
// thread and on all. Each figure is the best of several timed runs. One JSON object.
//
//   bench_machine_bounds [--threads N]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// 12 independent accumulators hide the FMA latency (4 cycles, 2 per cycle on current x86).
// Each function returns a lane of the result so that the loop is not optimised away.
__attribute__((target("avx2,fma"))) double fma_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
  return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx512f"))) double fma_avx512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float lanes[16];
  _mm512_storeu_ps(lanes, acc[0]);
  return lanes[0] + lanes[15];
}

// GFLOP/s of `threads` threads each running fn(iters) at once; the best of 5 runs.
double fma_rate(double (*fn)(int64_t), int lanes, int threads) {
  constexpr int64_t kIters = 20'000'000;
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    std::vector<std::thread> team;
    std::vector<double> sinks(static_cast<size_t>(threads));
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t) team.emplace_back([&, t] { sinks[t] = fn(kIters); });
    for (auto& th : team) th.join();
    const double s = seconds_since(t0);
    const double flops = 2.0 * lanes * 12.0 * static_cast<double>(kIters) * threads;
    best = std::max(best, flops / s / 1e9);
    if (sinks[0] == 12345.0) std::puts("");  // keep the results alive
  }
  return best;
}

// GB/s copied (bytes read) by `threads` threads, each copying its share of a 512 MiB buffer.
double copy_rate(int threads) {
  const size_t bytes = size_t{512} << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    std::vector<std::thread> team;
    const size_t share = bytes / static_cast<size_t>(threads);
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t)
      team.emplace_back([&, t] { std::memcpy(dst.data() + t * share, src.data() + t * share, share); });
    for (auto& th : team) th.join();
    best = std::max(best, static_cast<double>(share * threads) / seconds_since(t0) / 1e9);
  }
  return best;
}

std::string cpu_model() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (f == nullptr) return "unknown";
  char line[512];
  std::string model = "unknown";
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, "model name", 10) == 0) {
      model = std::strchr(line, ':') + 2;
      model.erase(model.find_last_not_of("\n") + 1);
      break;
    }
  std::fclose(f);
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::fprintf(stderr, "bench_machine_bounds: this CPU has no AVX2 + FMA\n");
    return 2;
  }
  const char* cap = std::getenv("INFILLD_CPU_ISA");
  const bool avx512 = __builtin_cpu_supports("avx512f") && !(cap != nullptr && std::string(cap) == "avx2");
  const double f1 = fma_rate(fma_avx2, 8, 1), fn = fma_rate(fma_avx2, 8, threads);
  std::printf("{\"machine\": \"%s\", \"threads\": %d, \"isa\": \"%s\", \"fma_avx2_gflops_1\": %.1f, "
              "\"fma_avx2_gflops_all\": %.1f",
              cpu_model().c_str(), threads, avx512 ? "avx512" : "avx2", f1, fn);
  if (avx512)
    std::printf(", \"fma_avx512_gflops_1\": %.1f, \"fma_avx512_gflops_all\": %.1f", fma_rate(fma_avx512, 16, 1),
                fma_rate(fma_avx512, 16, threads));
  std::printf(", \"copy_gbps_1\": %.1f, \"copy_gbps_all\": %.1f}\n", copy_rate(1), copy_rate(threads));
  return 0;
}
