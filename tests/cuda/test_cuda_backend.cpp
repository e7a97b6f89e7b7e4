// The CUDA backend against the CPU engine on a tiny checkpoint: forwards (full, batched,
// against the approximate caches' K/V and the exact context cache), whole denoising runs
// with the steps scored and chosen on the device, graph replays, and the backend choice
// with its messages.
#include <cstdlib>

#include "cuda_test_util.h"
#include "engine/backend.h"
#include "engine/cuda/cuda_denoisable.h"
#include "engine/cuda/register.h"
#include "engine/model.h"
#include "../engine/tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

namespace {

Model load_tiny(const std::string& name, const nlohmann::json& overrides = nlohmann::json::object()) {
  auto m = Model::load(test::write_tiny_dream(name, 1, overrides));
  REQUIRE_MESSAGE(m.is_ok(), (m.is_ok() ? "" : m.message()));
  return std::move(*m);
}

std::unique_ptr<cuda::CudaDenoisable> on_gpu(const Model& m) {
  auto d = cuda::CudaDenoisable::create(m);
  REQUIRE_MESSAGE(d.is_ok(), (d.is_ok() ? "" : d.message()));
  return std::move(*d);
}

void check_close(const Logits& got, const Logits& want, double tolerance = 1e-4) {
  REQUIRE(got.rows == want.rows);
  REQUIRE(got.values.size() == want.values.size());
  CHECK(got.computed == want.computed);
  CHECK(test::max_rel_error(got.values, want.values, 0.1) < tolerance);
}

ForwardCall kv_call(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& kv) {
  return ForwardCall::rows(tokens, r0, r1, &kv);
}

}  // namespace

TEST_CASE("cuda backend: full and batched forwards equal the CPU's") {
  const Model model = load_tiny("cuda-forward");
  auto gpu = on_gpu(model);
  ModelDenoisable cpu(model);
  const std::vector<int32_t> a = {0, 5, 9, 47, 47, 47, 12, 30}, b = {0, 3, 47, 47, 8};
  Logits want, got;
  REQUIRE(cpu.forward(a, want));
  REQUIRE(gpu->forward(a, got));
  check_close(got, want);
  Logits a_logits = want;

  // A canvas of 70 rows: its attention takes the long route (cuBLAS in TF32, which the
  // emulator rounds to as well: 1.3e-2 on the emulator, through two layers).
  std::vector<int32_t> longer(70);
  for (size_t i = 0; i < longer.size(); ++i) longer[i] = static_cast<int32_t>((i * 7) % 47);
  REQUIRE(cpu.forward(longer, want));
  REQUIRE(gpu->forward(longer, got));
  check_close(got, want, 2e-2);

  Logits ga, gb, wb;
  const std::vector<ForwardCall> calls = {ForwardCall(a), ForwardCall(b)};
  std::vector<Logits*> outs = {&ga, &gb};
  REQUIRE(gpu->forward(calls, outs));
  REQUIRE(cpu.forward(b, wb));
  check_close(ga, a_logits);
  check_close(gb, wb);

  // The LM head on some rows only, in a batch: those rows, the same values.
  const std::vector<int64_t> head = {1, 4, 6};
  std::vector<ForwardCall> some = calls;
  some[0].head_rows = head;
  REQUIRE(gpu->forward(some, outs));
  REQUIRE(cpu.forward(some, std::vector<Logits*>{&want, &wb}));
  check_close(ga, want);
  check_close(gb, wb);
  CHECK(ga.rows == head);
}

TEST_CASE("cuda backend: cached rows against the device K/V equal the CPU's cached rows") {
  const Model model = load_tiny("cuda-kv");
  auto gpu = on_gpu(model);
  ModelDenoisable cpu(model);
  std::vector<int32_t> canvas = {0, 5, 9, 47, 47, 47, 47, 12, 30};
  KvCache gpu_cache, cpu_cache;
  Logits got, want;
  REQUIRE(gpu->forward(kv_call(canvas, 0, 9, gpu_cache), got));
  REQUIRE(cpu.forward(kv_call(canvas, 0, 9, cpu_cache), want));
  check_close(got, want);
  canvas[4] = 17;  // a revealed token: the block's rows are recomputed against stale K/V
  REQUIRE(gpu->forward(kv_call(canvas, 2, 7, gpu_cache), got));
  REQUIRE(cpu.forward(kv_call(canvas, 2, 7, cpu_cache), want));
  check_close(got, want);
  const std::vector<int32_t> wrong(12, 3);
  CHECK_FALSE(gpu->forward(kv_call(wrong, 2, 7, gpu_cache), got));  // wrong length
}

TEST_CASE("cuda backend: the exact context cache reuses rows as the CPU's does") {
  const nlohmann::json fim = {{"model_type", "infilld_fim"}, {"block_length", 4}, {"suffix_token_id", 2},
                              {"prefix_token_id", 3}, {"middle_token_id", 4}, {"eom_token_id", 6}};
  const Model model = load_tiny("cuda-context", fim);
  auto gpu = on_gpu(model);
  ModelDenoisable cpu(model);
  AttentionMask mask;
  mask.kind = MaskKind::BlockCausal;
  mask.block_length = 4;
  std::vector<int32_t> tokens = {2, 11, 12, 3, 20, 21, 4, 47, 47, 47, 47};
  for (int typed = 0; typed < 3; ++typed) {
    mask.context_length = static_cast<int64_t>(tokens.size()) - 4;
    Logits got, want;
    ForwardCall call(tokens, ForwardCall::Cache::Context);
    call.mask = mask;
    REQUIRE(gpu->forward(call, got));
    REQUIRE(cpu.forward(call, want));
    check_close(got, want);  // the same rows: the same reused
    tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(tokens.size()) - 5, 30 + typed);  // typing
  }
}

TEST_CASE("cuda backend: device-scored denoising gives the CPU's middle") {
  const Model model = load_tiny("cuda-denoise");
  const CanvasSpec spec = canvas_spec(model.config(), 0);
  struct Case {
    const char* name;
    Policy policy;
    Schedule schedule;
    int32_t block;
    std::optional<double> threshold, factor;
    CacheMode cache;
  };
  const Case cases[] = {
      {"entropy, timestep", Policy::Entropy, Schedule::Timestep, 0, {}, {}, CacheMode::None},
      {"confidence, even, blocks", Policy::Confidence, Schedule::Even, 4, {}, {}, CacheMode::None},
      {"margin, dual cache", Policy::Margin, Schedule::Even, 4, {}, {}, CacheMode::Dual},
      {"threshold, prefix cache", Policy::Confidence, Schedule::Even, 4, 0.2, {}, CacheMode::Prefix},
      {"factor", Policy::Confidence, Schedule::Even, 8, {}, 1.0, CacheMode::None},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    InfillRequest r;
    r.prefix = {5, 9, 11};
    r.suffix = {12, 30};
    r.options.max_tokens = 8;
    r.options.policy = c.policy;
    r.options.schedule = c.schedule;
    r.options.block_length = c.block;
    r.options.threshold = c.threshold;
    r.options.factor = c.factor;
    r.options.cache = c.cache;
    ModelDenoisable cpu(model);
    auto gpu = on_gpu(model);
    REQUIRE(gpu->reveals_on_device(r.options));
    auto want = denoise(cpu, spec, r);
    auto got = denoise(*gpu, spec, r);
    REQUIRE(want.is_ok());
    REQUIRE_MESSAGE(got.is_ok(), (got.is_ok() ? "" : got.message()));
    CHECK(got->tokens == want->tokens);
    CHECK(got->stats.revealed_per_step == want->stats.revealed_per_step);
    CHECK(got->stats.forwards == want->stats.forwards);
    if (c.cache == CacheMode::Dual) CHECK(gpu->gpu().graphs_replayed() > 0);  // a block's steps repeat
  }
  // Sampling stays on the host: its generator is the CPU scorer's.
  DecodeOptions sampled;
  sampled.temperature = 0.7;
  CHECK_FALSE(on_gpu(model)->reveals_on_device(sampled));
}

TEST_CASE("cuda backend: --device chooses, and a model that does not fit says so") {
  const Model model = load_tiny("cuda-choice");
  cuda::register_cuda_backend();
  auto b = make_backend(model, Device::Cuda);
  REQUIRE_MESSAGE(b.is_ok(), (b.is_ok() ? "" : b.message()));
  CHECK(b->device == Device::Cuda);
  CHECK(b->description.rfind("cuda: ", 0) == 0);
  auto cpu = make_backend(model, Device::Cpu);
  REQUIRE(cpu.is_ok());
  CHECK(cpu->description == "cpu");
  if (test::kEmulated) {  // the emulator's memory is a setting: make it too small
    setenv("INFILLD_CUDA_EMU_MEMORY_MB", "1", 1);
    auto none = make_backend(model, Device::Cuda);
    std::string reason;
    auto fallback = make_backend(model, Device::Auto, &reason);
    unsetenv("INFILLD_CUDA_EMU_MEMORY_MB");
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.message().find("the model needs") != std::string::npos);
    CHECK(none.message().find("use --device cpu") != std::string::npos);
    REQUIRE(fallback.is_ok());
    CHECK(fallback->device == Device::Cpu);
    CHECK(reason.find("the model needs") != std::string::npos);
  }
  set_cuda_backend(nullptr);
  auto missing = make_backend(model, Device::Cuda);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.message().find("no CUDA backend") != std::string::npos);
  CHECK(parse_device("gpu").is_ok() == false);
}
