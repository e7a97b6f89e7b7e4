// infilld forward --model DIR --tokens 1,2,3 --out logits.npy: one forward pass, its float32
// logits [T, vocab] written as a NumPy file for comparison with other implementations.
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/device_flag.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "common/npy.h"
#include "engine/model.h"

namespace infilld::cli {

int cmd_forward(Args args) {
  auto flags = Flags::parse(args, {.with_value = {"model", "tokens", "out", "context-length", "quantize"}, .boolean = {"quiet"}});
  if (!flags) return fail(flags.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto tokens_text = flags->get("tokens");
  auto out = flags->get("out");
  if (!tokens_text) return fail("forward needs --tokens 1,2,3");
  if (!out) return fail("forward needs --out logits.npy");
  auto ids = parse_token_ids("--tokens", *tokens_text);
  if (!ids) return fail(ids.message());
  if (ids->empty()) return fail("--tokens: no token ids given");

  auto options = load_options(*flags);
  if (!options) return fail(options.message());
  auto model = engine::Model::load(*dir, *options);
  if (!model) return fail(model.message());
  engine::Logits logits;
  // Block-causal models (infilld FIM) need to know where the context ends: the tokens
  // after it are blocks of the model's block length.
  AttentionMask mask{model->config().attention, 0, 1};
  if (mask.kind == MaskKind::BlockCausal) {
    if (!flags->has("context-length"))
      return fail("this model attends block-causally: give --context-length N (the tokens up to <|middle|>)");
    auto n = flags->integer("context-length", 0, 1, static_cast<int64_t>(ids->size()));
    if (!n) return fail(n.message());
    mask.context_length = *n;
    mask.block_length = model->config().block_length;
  } else if (flags->has("context-length")) {
    return fail("--context-length is for block-causal models (infilld FIM); this one attends fully");
  }
  // Through the CPU backend, with the weights as it lays them out (engine/cpu_weights.h);
  // the time printed is the forward's, after that.
  engine::ModelDenoisable cpu(*model);
  const auto start = std::chrono::steady_clock::now();
  engine::ForwardCall call(*ids);
  call.mask = mask;
  if (Status s = cpu.forward(call, logits); !s) return fail(s.message());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const int64_t shape[2] = {static_cast<int64_t>(ids->size()), model->config().n_vocab};
  if (Status s = write_npy_f32(*out, logits.values, shape); !s) return fail(s.message());
  if (!flags->has("quiet"))
    std::fprintf(stderr, "forward: %zu positions in %.1f ms, logits [%lld, %lld] -> %s\n", ids->size(), ms,
                 static_cast<long long>(shape[0]), static_cast<long long>(shape[1]), out->c_str());
  return 0;
}

}  // namespace infilld::cli
