#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "engine/denoise/denoiser.h"
#include "engine/model.h"
#include "scripted_denoisable.h"
#include "tiny_model.h"

using namespace infilld::engine;
using infilld::Status;
using infilld::error;

namespace {

// The tiny checkpoint as an infilld FIM model: block length 4, its markers among the ids.
nlohmann::json fim_config() {
  return {{"model_type", "infilld_fim"}, {"block_length", 4},     {"suffix_token_id", 2}, {"prefix_token_id", 3},
          {"middle_token_id", 4},        {"eom_token_id", 5},      {"mask_token_id", 47},  {"bos_token_id", nullptr}};
}

// The same model without a context cache: every step a full forward (the reference).
class Uncached : public test::ScriptedDenoisable {
 public:
  explicit Uncached(const Model& m) : model_(m) { context_cache = true; }
  int64_t n_vocab() const override { return model_.config().n_vocab; }
  Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    return error("unused: every call carries its mask");
  }

 protected:
  Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) override {
    for (size_t i = 0; i < calls.size(); ++i) {
      REQUIRE(calls[i].mask.has_value());
      Logits all;
      INFILLD_TRY(model_.forward(calls[i].tokens, *calls[i].mask, all));
      out[i]->hold(calls[i].head_rows, all.n_vocab);
      for (int64_t j = 0; j < out[i]->n_rows(); ++j) {
        const auto row = all.row(out[i]->rows[static_cast<size_t>(j)]);
        std::copy(row.begin(), row.end(), out[i]->values.begin() + j * all.n_vocab);
      }
      out[i]->computed = all.computed;
    }
    return Status::ok();
  }

 private:
  const Model& model_;
};

// Scripted logits: position p after the context prefers token 10 + p, except the position
// `eom_at`, which prefers <|eom|> (5). The context counts as held by a cache.
class Scripted : public test::ScriptedDenoisable {
 public:
  Scripted(int64_t context, int64_t eom_at) : context_(context), eom_at_(eom_at) { context_cache = true; }
  int64_t n_vocab() const override { return 48; }
  int64_t context_rows(const ForwardCall&) override { return context_; }
  Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    const int64_t T = static_cast<int64_t>(tokens.size());
    logits.assign(static_cast<size_t>(T * 48), 0.0f);
    for (int64_t p = context_; p < T; ++p) {
      const int64_t rel = p - context_;
      const int32_t want = rel == eom_at_ ? 5 : static_cast<int32_t>(10 + rel);
      logits[static_cast<size_t>(p * 48 + want)] = 5.0f + 0.1f * float(rel);
    }
    ++forwards;
    return Status::ok();
  }
  int forwards = 0;

 private:
  int64_t context_, eom_at_;
};

CanvasSpec scripted_spec() {
  CanvasSpec s;
  s.mask = 47;
  s.fim = CanvasSpec::Fim{2, 3, 4, 5, 4};
  return s;
}

}  // namespace

TEST_CASE("fim denoiser: the exact context cache gives the tokens of full forwards, computing fewer positions") {
  auto model = Model::load(infilld::test::write_tiny_dream("fim-exact", 3, fim_config()));
  REQUIRE(model);
  CHECK(model->config().arch == Architecture::InfilldFim);
  CHECK_FALSE(model->config().shifted_logits);
  const CanvasSpec spec = canvas_spec(model->config(), 0);
  REQUIRE(spec.fim);
  InfillRequest request;
  request.prefix = {20, 21, 22, 23, 24};
  request.suffix = {30, 31, 32};
  request.options.schedule = Schedule::Even;  // the family's (family_defaults)
  request.options.max_tokens = 12;
  request.options.steps = 6;  // two steps per block of 4
  ModelDenoisable cached(*model);
  Uncached full(*model);
  auto a = denoise(cached, spec, request);
  auto b = denoise(full, spec, request);
  if (!a) FAIL(a.message());
  REQUIRE(b);
  CHECK(a->tokens == b->tokens);
  CHECK(a->stats.forwards == b->stats.forwards);
  CHECK(a->stats.positions < b->stats.positions);
  // Typing at the cursor appends to the prefix: the next request reuses the whole context.
  InfillRequest typed = request;
  typed.prefix.push_back(25);
  auto c = denoise(cached, spec, typed);
  auto d = denoise(full, spec, typed);
  REQUIRE(c);
  REQUIRE(d);
  CHECK(c->tokens == d->tokens);
  // Positions computed: the first forward recomputes from the typed token (it and
  // <|middle|>) plus the block: 2 + 4; every later step its block (4); moving to the next
  // block also recomputes the finished one, whose last reveal the cache has not seen (4).
  REQUIRE(c->stats.forwards == 6);
  CHECK(c->stats.positions == (2 + 4) + 5 * 4 + 2 * 4);
  CHECK(d->stats.positions > 3 * c->stats.positions);
}

TEST_CASE("fim denoiser: requests batched together each keep a context cache, stacked in one forward") {
  auto model = Model::load(infilld::test::write_tiny_dream("fim-batched", 3, fim_config()));
  REQUIRE(model);
  const CanvasSpec spec = canvas_spec(model->config(), 0);
  // Counts the calls of each forward (the stacked ones arrive together).
  class Counting : public ModelDenoisable {
   public:
    using ModelDenoisable::ModelDenoisable;
    size_t largest = 0;

   protected:
    Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) override {
      largest = std::max(largest, calls.size());
      return ModelDenoisable::run(calls, out);
    }
  };
  // Ten requests (more than the model's 8 caches), different contexts and lengths.
  std::vector<InfillRequest> requests;
  for (int i = 0; i < 10; ++i) {
    InfillRequest r;
    r.prefix = {20, static_cast<int32_t>(21 + i), 22, 23};
    for (int j = 0; j < i % 3; ++j) r.prefix.push_back(static_cast<int32_t>(30 + j));
    r.suffix = {30, static_cast<int32_t>(31 + i)};
    r.options.schedule = Schedule::Even;
    r.options.max_tokens = 8 + 4 * (i % 2);
    r.options.steps = r.options.max_tokens / 2;
    requests.push_back(r);
  }
  Counting batched(*model);
  auto results = denoise_batch(batched, spec, requests);
  CHECK(batched.largest == static_cast<size_t>(ModelDenoisable::kContextSlots));
  for (size_t i = 0; i < requests.size(); ++i) {
    ModelDenoisable alone(*model);
    auto solo = denoise(alone, spec, requests[i]);
    REQUIRE(solo);
    REQUIRE(results[i]);
    CHECK(results[i]->tokens == solo->tokens);
    CHECK(results[i]->stats.forwards == solo->stats.forwards);
    // (one that joins later may reuse the leading rows a finished request left in a cache)
    CHECK(results[i]->stats.positions <= solo->stats.positions);
  }
  // As many requests as caches, batched: each keeps its own, so each again, alone, reuses
  // its whole context (at least its prefix and suffix: only the markers and blocks are new).
  const std::span<const InfillRequest> eight(requests.data(), ModelDenoisable::kContextSlots);
  ModelDenoisable kept(*model);
  for (const auto& r : denoise_batch(kept, spec, eight)) REQUIRE(r);
  for (const InfillRequest& r : eight) {
    auto again = denoise(kept, spec, r);
    REQUIRE(again);
    ModelDenoisable fresh(*model);
    auto first = denoise(fresh, spec, r);
    REQUIRE(first);
    CHECK(again->tokens == first->tokens);
    CHECK(first->stats.positions - again->stats.positions >= int64_t(r.prefix.size() + r.suffix.size()));
  }
}

TEST_CASE("fim denoiser: through a model's one context cache, batched requests take turns") {
  // The scripted model has one cache (Denoisable::context_slots() is 1): the batch steps only
  // its oldest request, so no forward stacks two, and the results are those of each alone.
  class Counting : public Scripted {
   public:
    using Scripted::Scripted;
    size_t largest = 0;
    infilld::Status canvas_logits_batch(std::span<const std::span<const int32_t>> canvases,
                                        std::span<std::vector<float>*> logits) override {
      largest = std::max(largest, canvases.size());
      return Scripted::canvas_logits_batch(canvases, logits);
    }
  };
  std::vector<InfillRequest> requests(3);
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].prefix = {20, static_cast<int32_t>(21 + i)};
    requests[i].suffix = {30};
    requests[i].options.schedule = Schedule::Even;
    requests[i].options.max_tokens = 8;
    requests[i].options.steps = 4;
  }
  Counting batched(5, 6);
  auto results = denoise_batch(batched, scripted_spec(), requests);
  CHECK(batched.largest == 1);
  for (size_t i = 0; i < requests.size(); ++i) {
    Scripted alone(5, 6);
    auto solo = denoise(alone, scripted_spec(), requests[i]);
    REQUIRE(solo);
    REQUIRE(results[i]);
    CHECK(results[i]->tokens == solo->tokens);
  }
}

TEST_CASE("fim denoiser: blocks are revealed in their steps, <|eom|> ends the middle, max_tokens cuts it") {
  const int64_t context = 1 + 2 + 1 + 3 + 1;  // <|suffix|> S(2) <|prefix|> P(3) <|middle|>
  InfillRequest request;
  request.prefix = {20, 21, 22};
  request.suffix = {30, 31};
  request.options.schedule = Schedule::Even;
  request.options.max_tokens = 16;
  request.options.steps = 8;  // 4 blocks: 2 steps each, 2 tokens per step
  {
    Scripted model(context, 6);  // <|eom|> in block 2
    auto r = denoise(model, scripted_spec(), request);
    REQUIRE(r);
    CHECK(r->finish == FinishReason::Stop);
    CHECK(r->tokens == std::vector<int32_t>{10, 11, 12, 13, 14, 15});
    // Block 2 (positions 4-7; confidence grows to the right): 7 and 5 first, while the
    // <|eom|> at 6 waits until it is the first masked position (after 4), then ends it.
    CHECK(r->stats.revealed_per_step == std::vector<int32_t>{2, 2, 2, 1, 1});
    CHECK(r->stats.forwards == 5);
  }
  {
    Scripted model(context, 100);  // no <|eom|>: four blocks, then the length limit
    request.options.max_tokens = 14;
    auto r = denoise(model, scripted_spec(), request);
    REQUIRE(r);
    CHECK(r->finish == FinishReason::Length);
    CHECK(r->tokens.size() == 14);
    CHECK(r->tokens.front() == 10);
  }
  {
    Scripted model(context, 100);
    std::atomic<bool> cancel{true};
    request.cancel = &cancel;
    auto r = denoise(model, scripted_spec(), request);
    REQUIRE(r);
    CHECK(r->finish == FinishReason::Cancelled);
    CHECK(model.forwards == 0);
  }
}

TEST_CASE("fim denoiser: streaming reports the final part, and the approximate caches are refused") {
  const int64_t context = 1 + 0 + 1 + 2 + 1;
  Scripted model(context, 5);
  InfillRequest request;
  request.prefix = {20, 21};
  request.options.schedule = Schedule::Even;
  request.options.max_tokens = 8;
  request.options.steps = 8;  // one token per step
  std::vector<size_t> sizes;
  request.on_update = [&](std::span<const int32_t> t) { sizes.push_back(t.size()); };
  auto r = denoise(model, scripted_spec(), request);
  REQUIRE(r);
  CHECK(r->tokens.size() == 5);
  REQUIRE_FALSE(sizes.empty());
  CHECK(std::is_sorted(sizes.begin(), sizes.end()));
  CHECK(sizes.back() == 5);
  request.options.cache = CacheMode::Dual;
  auto refused = denoise(model, scripted_spec(), request);
  REQUIRE_FALSE(refused);
  CHECK(refused.message().find("exact context cache") != std::string::npos);
}

TEST_CASE("canvas overhead: the positions besides prefix and suffix, in each layout") {
  DecodeOptions o;
  o.max_tokens = 5;
  o.schedule = Schedule::Even;
  // infilld FIM: three markers and whole blocks of 4.
  CanvasSpec fim = scripted_spec();
  CHECK(canvas_overhead(fim, o) == 3 + 8);
  // The longest canvas the FIM loop lays out fits it: with no <|eom|> every block is used.
  class Widest : public test::ScriptedDenoisable {
   public:
    Widest() { context_cache = true; }
    int64_t n_vocab() const override { return 48; }
    Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
      widest = std::max<int64_t>(widest, static_cast<int64_t>(tokens.size()));
      logits.assign(tokens.size() * 48, 0.0f);
      for (size_t r = 0; r < tokens.size(); ++r) logits[r * 48 + 20] = 3.0f;  // never <|eom|>
      return Status::ok();
    }
    int64_t widest = 0;
  } model;
  InfillRequest r;
  r.prefix = {30, 31, 32};
  r.suffix = {33};
  r.options = o;
  REQUIRE(denoise(model, fim, r).is_ok());
  CHECK(model.widest == 3 + 1 + canvas_overhead(fim, o));
  // A full-canvas family: the span and its bos/eos.
  CanvasSpec full;
  full.mask = 47;
  full.bos = 0;
  full.eos = 1;
  CHECK(canvas_overhead(full, o) == 5 + 2);
  full.bos = -1;
  CHECK(canvas_overhead(full, o) == 5 + 1);
  // DreamOn grows the span up to max_length, or twice the canvas.
  full.expand = 46;
  CHECK(canvas_overhead(full, o) == 10 + 1);
  o.max_length = 7;
  CHECK(canvas_overhead(full, o) == 7 + 1);
}

TEST_CASE("fim denoiser: a setting the layout cannot honour is refused with a clear message") {
  Scripted model(4, 2);
  InfillRequest r;
  r.prefix = {30};
  r.suffix = {31};
  r.options.max_tokens = 4;
  r.options.schedule = Schedule::Even;
  auto refused = [&](const DecodeOptions& o, std::string_view words) {
    InfillRequest q = r;
    q.options = o;
    auto out = denoise(model, scripted_spec(), q);
    REQUIRE_FALSE(out.is_ok());
    CHECK_MESSAGE(out.message().find(words) != std::string::npos, out.message());
  };
  DecodeOptions o = r.options;
  o.schedule = Schedule::Timestep;
  refused(o, "schedule timestep");
  o = r.options;
  o.block_length = 8;
  refused(o, "its own (4), not 8");
  o = r.options;
  o.max_length = 8;
  refused(o, "DreamOn");
  // The model's own block length, given explicitly, is fine.
  o = r.options;
  o.block_length = 4;
  r.options = o;
  CHECK(denoise(model, scripted_spec(), r).is_ok());
}
