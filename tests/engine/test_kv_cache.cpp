// The K/V cache behind Fast-dLLM's prefix cache and DualCache: partial forwards against a
// cache filled from the same canvas give the full forward's rows; the denoiser's cached
// modes compute fewer positions.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/model.h"
#include "tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

TEST_CASE("kv cache: rows recomputed against a fresh cache equal the full forward") {
  auto model = Model::load(test::write_tiny_dream("kv-rows"));
  REQUIRE_MESSAGE(model.is_ok(), (model.is_ok() ? "" : model.message()));
  const std::vector<int32_t> tokens = {0, 5, 9, 47, 47, 47, 47, 12, 30, 1};
  const int64_t V = model->config().n_vocab;
  std::vector<float> full, cached, rows;
  REQUIRE(model->forward(tokens, full).is_ok());
  KvCache cache;
  REQUIRE(model->forward_rows(tokens, 0, 10, cache, cached).is_ok());
  for (size_t i = 0; i < full.size(); ++i) CHECK(cached[i] == doctest::Approx(full[i]).epsilon(1e-5));
  REQUIRE(model->forward_rows(tokens, 2, 7, cache, rows).is_ok());
  REQUIRE(rows.size() == size_t(5 * V));
  double max_diff = 0;
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < V; ++j) max_diff = std::max(max_diff, double(std::fabs(rows[r * V + j] - full[(2 + r) * V + j])));
  CHECK(max_diff < 1e-4);
  // A partial forward needs a cache of the same canvas length.
  KvCache empty;
  CHECK_FALSE(model->forward_rows(tokens, 2, 7, empty, rows).is_ok());
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
  std::vector<float> la, lb, ba, bb;
  REQUIRE(model->forward(a, la).is_ok());
  REQUIRE(model->forward(b, lb).is_ok());
  std::vector<std::span<const int32_t>> seqs = {a, b};
  std::vector<std::vector<float>*> outs = {&ba, &bb};
  REQUIRE(model->forward_batch(seqs, outs).is_ok());
  REQUIRE(ba.size() == la.size());
  REQUIRE(bb.size() == lb.size());
  for (size_t i = 0; i < la.size(); ++i) CHECK(ba[i] == doctest::Approx(la[i]).epsilon(1e-4));
  for (size_t i = 0; i < lb.size(); ++i) CHECK(bb[i] == doctest::Approx(lb[i]).epsilon(1e-4));
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
