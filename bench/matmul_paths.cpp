// bench_matmul_paths: the CPU paths of a BF16 matmul, side by side on a model's own weight
// shapes (docs/decisions.md, "BF16 on AVX2"). For each row count T and each weight of the
// first layer plus the LM head, every path this CPU can run is timed in interleaved rounds
// (the same inputs; the median of the rounds): the float32 panels (what an AVX2 machine ran
// before: 256 weight rows converted per panel, then sgemm), our AVX2 + FMA kernel (weights
// widened in registers), our AVX-512 BF16 kernel and oneDNN. One JSON line per (T, path) with
// the summed milliseconds of those matrices and GFLOP/s; the first line names the machine.
// The same matrices quantized to 8 bits (--quantize q8, kernels/cpu/quantize.h) run their
// paths beside them: our integer kernel (AVX2) and the float32 panels they are widened into.
//
//   bench_matmul_paths --model DIR [--positions 16,32,512] [--rounds 7]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/model.h"
#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/packed_bf16.h"
#include "kernels/cpu/quantize.h"

namespace {

using infilld::kernels::Weight;
using Clock = std::chrono::steady_clock;

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Path {
  const char* name;
  std::function<void(const float*, int64_t, const Weight&, float*)> run;
  enum Weights { Stored, Q8, Packed } weights = Stored;  // which copy of the weights it runs on
};

std::vector<Weight> bench_weights(const infilld::engine::Model& model) {
  const auto& w = model.weights();
  const auto& L = w.layers.at(0);
  return {L.wq, L.wk, L.wv, L.wo, L.w_gate, L.w_up, L.w_down, w.lm_head};
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, positions = "16,32,512";
  int rounds = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model") model_dir = argv[i + 1];
    else if (flag == "--positions") positions = argv[i + 1];
    else if (flag == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  if (model_dir.empty()) {
    std::fprintf(stderr, "usage: bench_matmul_paths --model DIR [--positions 16,32,512] [--rounds 7]\n");
    return 2;
  }
  auto model = infilld::engine::Model::load(model_dir);
  if (!model) {
    std::fprintf(stderr, "bench_matmul_paths: %s\n", model.message().c_str());
    return 2;
  }
  auto quantized = infilld::engine::Model::load(model_dir, {.quantize = infilld::engine::Quantization::Q8,
                                                             .attention = std::nullopt});
  if (!quantized) {
    std::fprintf(stderr, "bench_matmul_paths: %s\n", quantized.message().c_str());
    return 2;
  }
  const std::vector<Weight> weights = bench_weights(*model), weights_q8 = bench_weights(*quantized);
  for (const Weight& m : weights)
    if (m.dtype != infilld::DType::BF16) {
      std::fprintf(stderr, "bench_matmul_paths: the model's weights are not BF16\n");
      return 2;
    }

  namespace k = infilld::kernels;
  std::vector<std::vector<std::byte>> packed_storage(weights.size());
  std::vector<Weight> weights_packed;
  for (size_t i = 0; i < weights.size(); ++i) weights_packed.push_back(k::pack_bf16(weights[i], packed_storage[i]));
  std::vector<Path> paths = {{"f32_panels", k::matmul_converted_panels}};
  if (k::cpu_has_avx2_fma()) {
    paths.push_back({"avx2_bf16", k::matmul_bf16_avx2});
    paths.push_back({"avx2_bf16_packed", k::matmul_bf16_packed_avx2, Path::Packed});
  }
  if (k::cpu_isa() >= k::CpuIsa::Avx512 && k::cpu_has_avx512_bf16())
    paths.push_back({"avx512_bf16", k::matmul_bf16_avx512});
  if (k::cpu_isa() >= k::CpuIsa::Avx512)
    paths.push_back({"onednn", [](const float* x, int64_t t, const Weight& m, float* y) {
                       if (!k::onednn::linear(x, t, m, y)) k::matmul_converted_panels(x, t, m, y);
                     }});
  paths.push_back({"q8_f32_panels", k::matmul_converted_panels, Path::Q8});
  if (k::cpu_has_avx2_fma()) paths.push_back({"q8_avx2", k::matmul_q8_avx2, Path::Q8});
  std::printf("{\"machine\": \"%s\", \"isa\": \"%s\", \"isa_detected\": \"%s\", \"model\": \"%s\"}\n", cpu_model().c_str(),
              std::string(k::cpu_isa_name(k::cpu_isa())).c_str(),
              std::string(k::cpu_isa_name(k::cpu_isa_detected())).c_str(), model_dir.c_str());

  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  size_t start = 0;
  while (start <= positions.size()) {
    const size_t comma = std::min(positions.find(',', start), positions.size());
    const int64_t T = std::atoll(positions.substr(start, comma - start).c_str());
    start = comma + 1;
    if (T <= 0) continue;
    double flops = 0;
    int64_t widest = 0;
    for (const Weight& m : weights) {
      flops += 2.0 * double(T) * double(m.rows) * double(m.cols);
      widest = std::max(widest, std::max(m.rows, m.cols));
    }
    std::vector<float> x(static_cast<size_t>(T * widest)), y(static_cast<size_t>(T * widest));
    for (float& v : x) v = normal(rng);
    std::vector<std::vector<double>> ms(paths.size());
    for (int r = 0; r < rounds + 1; ++r)  // round 0 warms up
      for (size_t p = 0; p < paths.size(); ++p) {
        const auto t0 = Clock::now();
        const auto& set = paths[p].weights == Path::Q8 ? weights_q8 : paths[p].weights == Path::Packed ? weights_packed : weights;
        for (const Weight& m : set) paths[p].run(x.data(), T, m, y.data());
        const double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r > 0) ms[p].push_back(took);
      }
    for (size_t p = 0; p < paths.size(); ++p) {
      std::sort(ms[p].begin(), ms[p].end());
      const double median = ms[p][ms[p].size() / 2];
      std::printf("{\"positions\": %lld, \"path\": \"%s\", \"median_ms\": %.3f, \"min_ms\": %.3f, \"gflops\": %.1f}\n",
                  static_cast<long long>(T), paths[p].name, median, ms[p].front(), flops / median / 1e6);
    }
  }
  return 0;
}
