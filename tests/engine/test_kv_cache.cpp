// The K/V cache behind Fast-dLLM's prefix cache and DualCache: partial forwards against a
// cache filled from the same canvas give the full forward's rows; the denoiser's cached
// modes compute fewer positions.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/denoise/denoiser.h"
#include "engine/model.h"
#include "tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

TEST_CASE("kv cache: rows recomputed against a fresh cache equal the full forward") {
  auto model = Model::load(test::write_tiny_dream("kv-rows"));
  REQUIRE_MESSAGE(model.is_ok(), (model.is_ok() ? "" : model.message()));
  const std::vector<int32_t> tokens = {0, 5, 9, 47, 47, 47, 47, 12, 30, 1};
  const int64_t V = model->config().n_vocab;
  Logits full, cached, rows;
  REQUIRE(model->forward(tokens, model->own_mask(), full).is_ok());
  ModelDenoisable denoisable(*model);
  KvCache cache;
  auto rows_of = [&](int64_t r0, int64_t r1, KvCache& kv, Logits& out) {
    ForwardCall call = ForwardCall::rows(tokens, r0, r1, &kv);
    return denoisable.forward(call, out);
  };
  REQUIRE(rows_of(0, 10, cache, cached).is_ok());
  for (size_t i = 0; i < full.values.size(); ++i) CHECK(cached.values[i] == doctest::Approx(full.values[i]).epsilon(1e-5));
  REQUIRE(rows_of(2, 7, cache, rows).is_ok());
  REQUIRE(rows.values.size() == size_t(5 * V));
  double max_diff = 0;
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < V; ++j)
      max_diff = std::max(max_diff, double(std::fabs(rows.values[r * V + j] - full.values[(2 + r) * V + j])));
  CHECK(max_diff < 1e-4);
  // The LM head only on some rows: the same values for those rows.
  const std::vector<int64_t> head = {3, 6};
  ForwardCall some = ForwardCall::rows(tokens, 2, 7, &cache);
  some.head_rows = head;
  Logits picked;
  REQUIRE(denoisable.forward(some, picked).is_ok());
  REQUIRE(picked.rows == head);
  CHECK(picked.computed == 5);
  for (int64_t r : head)
    for (int64_t j = 0; j < V; ++j) CHECK(picked.row(r)[j] == doctest::Approx(full.row(r)[j]).epsilon(1e-4));
  // A partial forward needs a cache of the same canvas length.
  KvCache empty;
  CHECK_FALSE(rows_of(2, 7, empty, rows).is_ok());
}

TEST_CASE("kv cache: prefix and dual modes compute fewer positions than none") {
  auto model = Model::load(test::write_tiny_dream("kv-modes"));
  REQUIRE(model.is_ok());
  int64_t positions[3] = {};
  int i = 0;
  for (CacheMode mode : {CacheMode::None, CacheMode::Prefix, CacheMode::Dual}) {
    ModelDenoisable denoisable(*model);
    InfillRequest r;
    r.prefix = {5, 9, 11};
    r.suffix = {12, 30};
    r.options.max_tokens = 16;
    r.options.block_length = 8;
    r.options.steps = 8;
    r.options.cache = mode;
    auto out = denoise(denoisable, canvas_spec(model->config(), 0), r);
    REQUIRE_MESSAGE(out.is_ok(), (out.is_ok() ? "" : out.message()));
    positions[i++] = out->stats.positions;
  }
  CHECK(positions[1] < positions[0]);
  CHECK(positions[2] < positions[1]);
}

TEST_CASE("batched forward: each sequence's logits equal its own forward") {
  auto model = Model::load(test::write_tiny_dream("batch"));
  REQUIRE(model.is_ok());
  const std::vector<int32_t> a = {0, 5, 9, 47, 47, 12}, b = {0, 7, 47, 47, 47, 47, 30, 1, 2};
  Logits la, lb, ba, bb;
  REQUIRE(model->forward(a, model->own_mask(), la).is_ok());
  REQUIRE(model->forward(b, model->own_mask(), lb).is_ok());
  ModelDenoisable denoisable(*model);
  const std::vector<ForwardCall> calls = {ForwardCall(a), ForwardCall(b)};
  std::vector<Logits*> outs = {&ba, &bb};
  REQUIRE(denoisable.forward(calls, outs).is_ok());
  REQUIRE(ba.values.size() == la.values.size());
  REQUIRE(bb.values.size() == lb.values.size());
  for (size_t i = 0; i < la.values.size(); ++i) CHECK(ba.values[i] == doctest::Approx(la.values[i]).epsilon(1e-4));
  for (size_t i = 0; i < lb.values.size(); ++i) CHECK(bb.values[i] == doctest::Approx(lb.values[i]).epsilon(1e-4));
}

TEST_CASE("kv cache: a batch mixing cache modes gives each request its result alone") {
  auto model = Model::load(test::write_tiny_dream("batch-modes"));
  REQUIRE(model.is_ok());
  std::vector<InfillRequest> requests(3);
  const CacheMode modes[3] = {CacheMode::Dual, CacheMode::None, CacheMode::Prefix};
  for (int i = 0; i < 3; ++i) {
    requests[i].prefix = {5, 9, int32_t(11 + i)};
    requests[i].suffix = {12, 30};
    requests[i].options.max_tokens = 8;
    requests[i].options.block_length = 4;
    requests[i].options.steps = 4;
    requests[i].options.cache = modes[i];
  }
  ModelDenoisable batched_model(*model);
  auto batched = denoise_batch(batched_model, canvas_spec(model->config(), 0), requests);
  for (int i = 0; i < 3; ++i) {
    ModelDenoisable alone_model(*model);
    auto alone = denoise(alone_model, canvas_spec(model->config(), 0), requests[i]);
    REQUIRE(alone.is_ok());
    REQUIRE_MESSAGE(batched[i].is_ok(), (batched[i].is_ok() ? "" : batched[i].message()));
    CHECK(batched[i]->tokens == alone->tokens);
  }
}
