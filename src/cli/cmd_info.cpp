// infilld info --model DIR: what a checkpoint is and what it needs to run.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/device_flag.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "cli/process_memory.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::cli {

namespace {

std::string size_text(double bytes) {
  char buf[32];
  if (bytes >= double(1 << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1 << 30));
  else if (bytes >= double(1 << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / double(1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / double(1 << 10));
  return buf;
}

std::string count(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

// The dtype holding most of the bytes, with the share of the others when mixed.
std::string dtype_summary(const engine::Checkpoint& checkpoint) {
  std::map<std::string_view, int64_t> bytes;
  int64_t total = 0;
  for (const auto& [name, t] : checkpoint.tensors()) {
    bytes[dtype_name(t->dtype)] += static_cast<int64_t>(t->n_bytes);
    total += static_cast<int64_t>(t->n_bytes);
  }
  if (bytes.size() == 1) return std::string(bytes.begin()->first);
  std::string s = "mixed (";
  for (const auto& [name, b] : bytes)
    s += std::string(name) + " " + std::to_string(total ? b * 100 / total : 0) + "%, ";
  s.resize(s.size() - 2);
  return s + ")";
}

// Float32 activations of one full forward over n positions (the largest buffers live at once).
double activation_bytes(const engine::ModelConfig& c, int64_t n) {
  const int64_t qd = c.n_heads * c.head_dim, kd = c.n_kv_heads * c.head_dim;
  const double per_position = 2.0 * c.n_embd + 2.0 * qd + 2.0 * kd + 2.0 * c.n_ff + c.n_vocab;
  return 4.0 * (per_position * n + double(n) * n);
}

std::string token_text(const engine::Model& model, int32_t id) {
  if (id < 0) return "none";
  std::string s = std::to_string(id);
  if (model.tokenizer())
    if (auto text = model.tokenizer()->id_to_token(id)) s += " " + *text;
  return s;
}

}  // namespace

int cmd_info(Args args) {
  auto flags = Flags::parse(args, {.with_value = {"model", "quantize"}, .boolean = {}});
  if (!flags) return fail(flags.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto options = load_options(*flags);
  if (!options) return fail(options.message());
  auto model = engine::Model::load(*dir, *options);
  if (!model) return fail(model.message());

  const engine::ModelConfig& c = model->config();
  const double weights = double(model->n_weight_bytes());
  std::printf("model          %s\n", dir->string().c_str());
  std::printf("architecture   %s (model_type \"%s\")\n", std::string(engine::architecture_name(c.arch)).c_str(),
              c.model_type.c_str());
  std::printf("parameters     %s (%" PRId64 ")\n", count(double(model->n_parameters())).c_str(), model->n_parameters());
  std::printf("dtype          %s\n", dtype_summary(model->checkpoint()).c_str());
  std::printf("weights        %s in %zu file(s), mapped, not copied\n", size_text(weights).c_str(),
              model->checkpoint().weight_files().size());
  std::printf("memory         %s weights + %s activations for 2048 positions\n", size_text(weights).c_str(),
              size_text(activation_bytes(c, 2048)).c_str());
  // What the forward reads, in the form it reads it, and what the process holds after the
  // load (a quantized model has read its mapped pages and released them; a model as stored
  // has not read them yet: `bench forward` reports the resident size after running).
  std::printf("resident       %s weights (%s), process %s\n", size_text(double(model->n_resident_weight_bytes())).c_str(),
              model->quantization() == engine::Quantization::None ? "as stored" : "q8",
              size_text(double(process_resident_bytes())).c_str());
  std::printf("shape          %" PRId64 " layers, hidden %" PRId64 ", heads %" PRId64 " (kv %" PRId64
              ", head_dim %" PRId64 "), ffn %" PRId64 ", vocab %" PRId64 "\n",
              c.n_layers, c.n_embd, c.n_heads, c.n_kv_heads, c.head_dim, c.n_ff, c.n_vocab);
  std::printf("rope           theta %g, rms_norm eps %g, qkv bias %s, tied embeddings %s\n", c.rope_theta,
              c.norm_eps, c.qkv_bias ? "yes" : "no", c.tied_embeddings ? "yes" : "no");
  std::printf("attention      %s\n", c.attention == MaskKind::Full ? "full (bidirectional)"
                                     : c.attention == MaskKind::Causal ? "causal" : "block-causal");
  std::printf("logits         %s\n", c.shifted_logits ? "shifted (row i predicts token i+1)"
                                                      : "unshifted (row i predicts token i)");
  std::printf("mask id        %s\n", token_text(*model, c.tokens.mask).c_str());
  std::printf("bos/eos/pad    %s / %s / %s\n", token_text(*model, c.tokens.bos).c_str(),
              token_text(*model, c.tokens.eos).c_str(), token_text(*model, c.tokens.pad).c_str());
  if (c.tokens.expand >= 0) std::printf("expand id      %s\n", token_text(*model, c.tokens.expand).c_str());
  std::printf("tokenizer      %s\n", model->tokenizer() ? "loaded" : "none (no tokenizer files)");
  return 0;
}

}  // namespace infilld::cli
