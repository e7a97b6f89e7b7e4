// infilld bench forward --model DIR [--positions 32,512] [--repeat 5]: times the forward
// pass after one warm-up run (which also faults the mapped weights in) and prints one JSON
// line per position count. bench/forward_vs_torch.py drives it side by side with PyTorch.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/device_flag.h"
#include "cli/process_memory.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "engine/model.h"

namespace infilld::cli {

namespace {

Expected<std::vector<int>> parse_counts(const std::string& text) {
  std::vector<int> counts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    auto n = parse_integer("--positions (counts separated by commas)", text.substr(start, comma - start), 1, 1 << 20);
    if (!n) return n.error();
    counts.push_back(static_cast<int>(*n));
    start = comma + 1;
  }
  return counts;
}

}  // namespace

// The token ids every benchmark uses, so that another implementation can run the same input.
std::vector<int32_t> bench_tokens(int n, int64_t n_vocab) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((int64_t(i) * 7919 + 13) % std::min<int64_t>(n_vocab, 100000));
  return ids;
}

int cmd_bench(Args args) {
  if (args.empty() || args[0] != "forward") return fail("usage: infilld bench forward --model DIR [--positions 32,512] [--repeat 5] [--device auto|cpu|cuda] [--quantize q8] [--scored N]");
  auto flags = Flags::parse(args.subspan(1), {.with_value = {"model", "positions", "repeat", "device", "scored", "quantize"}, .boolean = {}});
  if (!flags) return fail(flags.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto counts = parse_counts(flags->get("positions").value_or("32,512"));
  if (!counts) return fail(counts.message());
  auto repeat_flag = flags->integer("repeat", 5, 1, 100000);
  if (!repeat_flag) return fail(repeat_flag.message());
  const int repeat = static_cast<int>(*repeat_flag);

  auto options = load_options(*flags);
  if (!options) return fail(options.message());
  auto model = engine::Model::load(*dir, *options);
  if (!model) return fail(model.message());
  auto backend = backend_for(*flags, *model);
  if (!backend) return fail(backend.message());
  // --scored N: each forward runs as a denoising step on the device does: the LM head and
  // the scoring only on the last N rows, nothing but the chosen tokens back to the host.
  auto scored_flag = flags->integer("scored", 0, 0, 1 << 20);
  if (!scored_flag) return fail(scored_flag.message());
  const int scored = static_cast<int>(*scored_flag);
  engine::DecodeOptions step_options;
  step_options.policy = engine::Policy::Entropy;
  if (scored > 0 && !backend->model->reveals_on_device(step_options))
    return fail("--scored needs a backend that scores on its device (--device cuda)");
  engine::Logits logits;
  std::vector<engine::Revealed> revealed;
  for (int n : *counts) {
    const auto ids = bench_tokens(n, model->config().n_vocab);
    std::vector<int64_t> positions;
    for (int64_t p = std::max<int64_t>(1, n - scored); p < n && scored > 0; ++p) positions.push_back(p);
    engine::RevealStep step;
    step.positions = positions;
    step.shifted = model->config().shifted_logits;
    step.policy = step_options.policy;
    step.excluded[0] = model->config().tokens.mask;
    step.choice.count = static_cast<int64_t>(positions.size());
    auto run_once = [&]() -> Status {
      if (scored == 0) return backend->model->forward(ids, logits);
      return backend->model->forward_reveal(engine::ForwardCall(ids), step, revealed);
    };
    std::vector<double> ms;
    for (int r = 0; r <= repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      if (Status s = run_once(); !s) return fail(s.message());
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (r > 0) ms.push_back(t);  // run 0 is the warm-up
    }
    std::sort(ms.begin(), ms.end());
    std::printf("{\"positions\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f, \"runs\": %d, "
                "\"scored\": %d, \"device\": %s, \"rss_mib\": %.1f}\n",
                n, ms[ms.size() / 2], ms.front(), ms.back(), repeat, scored,
                nlohmann::json(backend->description).dump().c_str(), process_resident_bytes() / double(1 << 20));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace infilld::cli
