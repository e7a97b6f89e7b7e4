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
  transform_matrices(weights_, config_.tied_embeddings, quantize);
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


ModelDenoisable::ModelDenoisable(const Model& model)
    : model_(model), weights_(model.weights(), model.config().tied_embeddings) {}

Status ModelDenoisable::run(std::span<const ForwardCall> calls, std::span<Logits* const> out) {
  // Every call in one stacked forward; a context-cache call through a slot of its own.
  if (!model_.has_weights()) return error("the model was loaded without its weights");  // before any slot
  const ModelConfig& c = model_.config();
  std::vector<SequenceRows> stacked;
  std::vector<AttentionMask> masks;
  masks.reserve(calls.size());  // the sequences point at them
  std::vector<Slot*> taken;
  std::vector<std::span<const int32_t>> filled;  // what each taken slot holds after the forward
  ++clock_;
  for (const ForwardCall& call : calls) {
    const auto n = static_cast<int64_t>(call.tokens.size());
    switch (call.cache) {
      case ForwardCall::Cache::None: {
        const AttentionMask* mask = call.mask ? &masks.emplace_back(*call.mask) : nullptr;
        stacked.push_back({call.tokens, 0, n, nullptr, call.head_rows, mask});
        break;
      }
      case ForwardCall::Cache::Kv:
        stacked.push_back({call.tokens, call.r0, call.r1, call.kv, call.head_rows});
        break;
      case ForwardCall::Cache::Context: {
        const AttentionMask& mask = masks.emplace_back(call.mask.value_or(model_.own_mask()));
        auto picked = pick_slot(call, mask, taken);
        if (!picked) return picked.error();
        auto [slot, reused] = *picked;
        KvCache& kv = slot->cache.prepare(call.tokens, reused, c.n_layers, c.n_kv_heads * c.head_dim);
        stacked.push_back({call.tokens, reused, n, &kv, call.head_rows, &mask});
        slot->last_used = clock_;
        taken.push_back(slot);
        filled.push_back(call.tokens);
        break;
      }
    }
  }
  Status s = engine::forward(c, weights_.weights(), stacked, model_.own_mask(), out);
  for (size_t i = 0; i < taken.size(); ++i) {
    if (s) {
      taken[i]->cache.commit(filled[i]);
    } else {
      taken[i]->cache.clear();  // its rows may be half written
    }
  }
  return s;
}

Expected<std::pair<ModelDenoisable::Slot*, int64_t>> ModelDenoisable::pick_slot(const ForwardCall& call,
                                                                                 const AttentionMask& mask,
                                                                                 std::span<Slot* const> taken) {
  // The call's own problems (its mask, its head rows) first: they are no slot's.
  if (auto fresh = context_rows({}, call.tokens, mask, call.head_rows); !fresh) return fresh.error();
  Slot* best = nullptr;
  int64_t best_rows = -1;
  for (Slot& slot : slots_) {
    if (std::find(taken.begin(), taken.end(), &slot) != taken.end()) continue;
    auto held = context_rows(slot.cache.tokens(), call.tokens, mask, call.head_rows);
    const int64_t rows = held ? *held : 0;  // (a slot it cannot reuse is as good as an empty one)
    if (rows > best_rows || (rows == best_rows && slot.last_used < best->last_used)) {
      best = &slot;
      best_rows = rows;
    }
  }
  if (best == nullptr) return error("forward: more context-cache calls than the ", kContextSlots, " caches");
  return std::pair{best, best_rows};
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
