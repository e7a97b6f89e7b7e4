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
    const std::string part = text.substr(start, comma - start);
    char* end = nullptr;
    const long n = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || n <= 0 || n > 1 << 20)
      return error("--positions: expected positive counts separated by commas, found \"", part, "\"");
    counts.push_back(static_cast<int>(n));
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
  if (args.empty() || args[0] != "forward") return fail("usage: infilld bench forward --model DIR [--positions 32,512] [--repeat 5] [--device auto|cpu|cuda]");
  auto flags = Flags::parse(args.subspan(1), {.with_value = {"model", "positions", "repeat", "device"}, .boolean = {}});
  if (!flags) return fail(flags.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto counts = parse_counts(flags->get("positions").value_or("32,512"));
  if (!counts) return fail(counts.message());
  const int repeat = std::max(1, std::atoi(flags->get("repeat").value_or("5").c_str()));

  auto model = engine::Model::load(*dir);
  if (!model) return fail(model.message());
  auto backend = backend_for(*flags, *model);
  if (!backend) return fail(backend.message());
  std::vector<float> logits;
  for (int n : *counts) {
    const auto ids = bench_tokens(n, model->config().n_vocab);
    std::vector<double> ms;
    for (int r = 0; r <= repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      if (Status s = backend->model->forward(ids, logits); !s) return fail(s.message());
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (r > 0) ms.push_back(t);  // run 0 is the warm-up
    }
    std::sort(ms.begin(), ms.end());
    std::printf("{\"positions\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f, \"runs\": %d, "
                "\"device\": %s}\n",
                n, ms[ms.size() / 2], ms.front(), ms.back(), repeat, nlohmann::json(backend->description).dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace infilld::cli
