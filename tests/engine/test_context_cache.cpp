// The exact context cache: under a causal (or block-causal) mask, rows computed
// incrementally against the cache equal a full forward's, and a later sequence that shares
// a prefix recomputes only from its first differing token.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/model.h"
#include "tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

namespace {

// The largest difference between the rows a cached forward gave and the full forward's.
double max_row_diff(const Logits& rows, const Logits& full) {
  double m = 0;
  for (int64_t r : rows.rows) {
    const auto a = rows.row(r), b = full.row(r);
    for (size_t j = 0; j < a.size(); ++j) m = std::max(m, double(std::fabs(a[j] - b[j])));
  }
  return m;
}

// A forward through the model's exact context cache; `reused` receives the rows it held.
Status in_context(ModelDenoisable& model, std::span<const int32_t> tokens, const AttentionMask& mask, Logits& rows,
                  int64_t& reused) {
  ForwardCall call(tokens, ForwardCall::Cache::Context);
  call.mask = mask;
  INFILLD_TRY(model.forward(call, rows));
  reused = rows.rows.empty() ? -1 : rows.rows.front();
  return Status::ok();
}

}  // namespace

TEST_CASE("context cache: typing more reuses the context and stays exact") {
  LoadOptions options;
  options.attention = MaskKind::Causal;
  auto model = Model::load(test::write_tiny_dream("context-cache"), options);
  REQUIRE(model.is_ok());
  const int64_t V = model->config().n_vocab;
  AttentionMask causal{MaskKind::Causal};
  const std::vector<int32_t> all = {0, 5, 9, 11, 3, 8, 20, 21, 7, 30, 2, 4};
  Logits full;
  REQUIRE(model->forward(all, causal, full).is_ok());

  ModelDenoisable cache(*model);
  Logits rows;
  int64_t reused = -1;
  const std::vector<int32_t> first(all.begin(), all.begin() + 7);
  REQUIRE(in_context(cache, first, causal, rows, reused).is_ok());
  CHECK(reused == 0);
  CHECK(max_row_diff(rows, full) < 1e-4);

  // The user typed 5 more tokens: only those rows are computed.
  REQUIRE(in_context(cache, all, causal, rows, reused).is_ok());
  CHECK(reused == 7);
  CHECK(rows.values.size() == size_t(5 * V));
  CHECK(max_row_diff(rows, full) < 1e-4);

  // An edit at position 3: everything from there is recomputed, and still exact.
  std::vector<int32_t> edited = all;
  edited[3] = 12;
  Logits edited_full;
  REQUIRE(model->forward(edited, causal, edited_full).is_ok());
  REQUIRE(in_context(cache, edited, causal, rows, reused).is_ok());
  CHECK(reused == 3);
  CHECK(max_row_diff(rows, edited_full) < 1e-4);

  // The same sequence again: only its last row is recomputed (there must be logits).
  REQUIRE(in_context(cache, edited, causal, rows, reused).is_ok());
  CHECK(reused == int64_t(edited.size()) - 1);
}

TEST_CASE("context cache: refused for fully bidirectional attention") {
  auto model = Model::load(test::write_tiny_dream("context-cache-full"));
  REQUIRE(model.is_ok());
  ModelDenoisable cache(*model);
  Logits rows;
  int64_t reused = 0;
  auto s = in_context(cache, std::vector<int32_t>{0, 5, 9}, AttentionMask{}, rows, reused);
  CHECK_FALSE(s.is_ok());
}

TEST_CASE("context cache: exact under the block-causal mask of the infilld FIM format") {
  // Context of 8 tokens (causal), then blocks of 3 (each sees the context, earlier blocks
  // and itself). Typing at the cursor appends to the context: the cached context rows stay
  // exact, and the blocks after it are recomputed.
  auto model = Model::load(test::write_tiny_dream("context-cache-block"));
  REQUIRE(model.is_ok());
  const std::vector<int32_t> ctx = {0, 5, 9, 11, 3, 8, 20, 21};
  auto canvas = [](std::vector<int32_t> c) {
    for (int i = 0; i < 6; ++i) c.push_back(47);  // two blocks of 3 masks
    return c;
  };
  ModelDenoisable cache(*model);
  Logits rows, full;
  int64_t reused = 0;
  const auto first = canvas(ctx);
  AttentionMask mask{MaskKind::BlockCausal, int64_t(ctx.size()), 3};
  REQUIRE(in_context(cache, std::vector<int32_t>(ctx.begin(), ctx.end()), mask, rows, reused).is_ok());
  REQUIRE(in_context(cache, first, mask, rows, reused).is_ok());
  CHECK(reused == int64_t(ctx.size()));
  REQUIRE(model->forward(first, mask, full).is_ok());
  CHECK(max_row_diff(rows, full) < 1e-4);

  // The user typed two more tokens: the context grows, its old rows are reused.
  std::vector<int32_t> longer = ctx;
  longer.insert(longer.end(), {30, 31});
  const auto second = canvas(longer);
  AttentionMask mask2{MaskKind::BlockCausal, int64_t(longer.size()), 3};
  REQUIRE(in_context(cache, second, mask2, rows, reused).is_ok());
  CHECK(reused == int64_t(ctx.size()));
  REQUIRE(model->forward(second, mask2, full).is_ok());
  CHECK(max_row_diff(rows, full) < 1e-4);
}
