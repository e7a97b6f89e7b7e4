#include "engine/model.h"

#include "engine/models/architecture.h"
#include "engine/tokenizer/tokenizer.h"

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
  }
  return m;
}

Status Model::forward(std::span<const int32_t> tokens, std::vector<float>& logits) const {
  AttentionMask mask;
  mask.kind = config_.attention;
  return forward(tokens, mask, logits);
}

Status Model::forward(std::span<const int32_t> tokens, const AttentionMask& mask,
                      std::vector<float>& logits) const {
  if (!has_weights_) return error("the model was loaded without its weights");
  return engine::forward(config_, weights_, tokens, mask, logits);
}

Status Model::forward_rows(std::span<const int32_t> tokens, int64_t r0, int64_t r1, KvCache& cache,
                          std::vector<float>& logits) const {
  if (!has_weights_) return error("the model was loaded without its weights");
  AttentionMask mask;
  mask.kind = config_.attention;
  return engine::forward_rows(config_, weights_, tokens, r0, r1, mask, &cache, logits);
}

Status Model::forward_batch(std::span<const std::span<const int32_t>> sequences,
                            std::span<std::vector<float>*> logits) const {
  if (!has_weights_) return error("the model was loaded without its weights");
  if (sequences.size() != logits.size()) return error("forward_batch: ", sequences.size(), " sequences but ",
                                                      logits.size(), " outputs");
  std::vector<SequenceRows> segments;
  for (auto seq : sequences) segments.push_back({seq, 0, static_cast<int64_t>(seq.size()), nullptr});
  AttentionMask mask;
  mask.kind = config_.attention;
  return forward_sequences(config_, weights_, segments, mask, logits);
}

Status Model::forward_incremental(std::span<const int32_t> tokens, const AttentionMask& mask,
                                 ContextCache& cache, std::vector<float>& logits, int64_t& reused) const {
  if (!has_weights_) return error("the model was loaded without its weights");
  if (mask.kind == MaskKind::Full)
    return error("a context cache is exact only under a causal or block-causal mask; this model attends fully");
  reused = reusable_rows(cache.tokens(), tokens, mask);
  KvCache& kv = cache.prepare(tokens, reused, config_.n_layers, config_.n_kv_heads * config_.head_dim);
  const int64_t n = static_cast<int64_t>(tokens.size());
  Status s = engine::forward_rows(config_, weights_, tokens, reused, n, mask, &kv, logits);
  if (!s) {
    cache.clear();
    return s;
  }
  cache.commit(tokens);
  return Status::ok();
}

int64_t Model::n_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : checkpoint_.tensors()) n += t->n_elements();
  return n;
}

int64_t Model::n_weight_bytes() const {
  int64_t n = 0;
  for (const auto& [name, t] : checkpoint_.tensors()) n += static_cast<int64_t>(t->n_bytes);
  return n;
}

}  // namespace infilld::engine
