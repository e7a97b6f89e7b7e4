#include "engine/model.h"

#include "engine/models/architecture.h"
#include "common/mapped_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/cpu/quantize.h"

namespace infilld::engine {

namespace fs = std::filesystem;

Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

namespace {

bool has_tokenizer_files(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "tokenizer.json", ec) || fs::exists(dir / "vocab.json", ec);
}

}  // namespace

Expected<Model> Model::load(const fs::path& dir, LoadOptions options) {
  Model m;
  auto checkpoint = options.weights ? Checkpoint::open(dir) : Checkpoint::open_config_only(dir);
  if (!checkpoint) return checkpoint.error();
  m.checkpoint_ = std::move(*checkpoint);

  // The tokenizer is optional for the forward pass, but a broken one is an error.
  if (has_tokenizer_files(dir)) {
    auto tokenizer = Tokenizer::load(dir);
    if (!tokenizer) return tokenizer.error();
    m.tokenizer_ = std::make_unique<Tokenizer>(std::move(*tokenizer));
  }
  TokenLookup lookup;
  if (m.tokenizer_) lookup = [t = m.tokenizer_.get()](std::string_view s) { return t->token_to_id(s); };

  auto config = read_model_config(m.checkpoint_.config(), m.checkpoint_.generation_config(), lookup);
  if (!config) return config.error();
  m.config_ = std::move(*config);
  if (options.attention) m.config_.attention = *options.attention;

  if (options.weights) {
    auto weights = bind_weights(m.checkpoint_, m.config_);
    if (!weights) return weights.error();
    m.weights_ = std::move(*weights);
    m.has_weights_ = true;
    if (options.quantize == Quantization::Q8) m.quantize_q8();
  }
  return m;
}

Expected<Quantization> parse_quantization(std::string_view name) {
  if (name == "none") return Quantization::None;
  if (name == "q8") return Quantization::Q8;
  return error("unknown quantization \"", name, "\" (expected none or q8)");
}

std::string_view quantization_name(Quantization q) { return q == Quantization::Q8 ? "q8" : "none"; }

void Model::quantize_q8() {
  auto quantize = [this](kernels::Weight& w) {
    if (!kernels::can_quantize_q8(w)) return;  // rows that are not whole blocks stay as stored
    const kernels::Weight stored = w;
    w = kernels::quantize_q8(stored, quantized_.emplace_back());
    release_pages(stored.data, static_cast<size_t>(stored.bytes()));
  };
  quantize(weights_.embed);
  for (LayerWeights& L : weights_.layers)
    for (kernels::Weight* w : matrices(L)) quantize(*w);
  if (config_.tied_embeddings) {
    weights_.lm_head = weights_.embed;
  } else {
    quantize(weights_.lm_head);
  }
  quantization_ = Quantization::Q8;
}

Status Model::forward(std::span<const SequenceRows> sequences, const AttentionMask& mask,
                      std::span<Logits* const> out) const {
  if (!has_weights_) return error("the model was loaded without its weights");
  return engine::forward(config_, weights_, sequences, mask, out);
}

Status Model::forward(std::span<const int32_t> tokens, const AttentionMask& mask, Logits& out) const {
  const SequenceRows all{tokens, 0, static_cast<int64_t>(tokens.size()), nullptr, {}};
  Logits* o = &out;
  return forward({&all, 1}, mask, {&o, 1});
}


Status ModelDenoisable::run(std::span<const ForwardCall> calls, std::span<Logits* const> out) {
  // The calls without the context cache go through one stacked forward; those with it one by one.
  std::vector<SequenceRows> stacked;
  std::vector<Logits*> stacked_out;
  for (size_t i = 0; i < calls.size(); ++i) {
    const ForwardCall& c = calls[i];
    const auto n = static_cast<int64_t>(c.tokens.size());
    switch (c.cache) {
      case ForwardCall::Cache::None:
        stacked.push_back({c.tokens, 0, n, nullptr, c.head_rows});
        break;
      case ForwardCall::Cache::Kv:
        stacked.push_back({c.tokens, c.r0, c.r1, c.kv, c.head_rows});
        break;
      case ForwardCall::Cache::Context:
        INFILLD_TRY(run_in_context(c, *out[i]));
        continue;
    }
    stacked_out.push_back(out[i]);
  }
  if (stacked.empty()) return Status::ok();
  return model_.forward(stacked, model_.own_mask(), stacked_out);
}

Status ModelDenoisable::run_in_context(const ForwardCall& call, Logits& out) {
  const ModelConfig& c = model_.config();
  const AttentionMask mask = call.mask.value_or(model_.own_mask());
  auto held = context_rows(context_cache_.tokens(), call.tokens, mask, call.head_rows);
  if (!held) return held.error();
  const int64_t reused = *held;
  KvCache& kv = context_cache_.prepare(call.tokens, reused, c.n_layers, c.n_kv_heads * c.head_dim);
  const SequenceRows rows{call.tokens, reused, static_cast<int64_t>(call.tokens.size()), &kv, call.head_rows};
  Logits* o = &out;
  Status s = model_.forward({&rows, 1}, mask, {&o, 1});
  if (!s) {
    context_cache_.clear();
    return s;
  }
  context_cache_.commit(call.tokens);
  return Status::ok();
}

int64_t Model::n_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : checkpoint_.tensors()) n += t->n_elements();
  return n;
}

int64_t Model::n_resident_weight_bytes() const {
  if (!has_weights_) return 0;
  const TransformerWeights& w = weights_;
  auto floats = [](const std::vector<float>& v) { return static_cast<int64_t>(v.size() * sizeof(float)); };
  int64_t n = w.embed.bytes() + floats(w.final_norm);
  if (!config_.tied_embeddings) n += w.lm_head.bytes();
  for (const LayerWeights& L : w.layers) {
    for (const kernels::Weight* m : matrices(L)) n += m->bytes();
    n += floats(L.attn_norm) + floats(L.ffn_norm) + floats(L.bq) + floats(L.bk) + floats(L.bv);
  }
  return n;
}

int64_t Model::n_weight_bytes() const {
  int64_t n = 0;
  for (const auto& [name, t] : checkpoint_.tensors()) n += static_cast<int64_t>(t->n_bytes);
  return n;
}

}  // namespace infilld::engine
