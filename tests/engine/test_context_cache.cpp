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

double max_row_diff(const std::vector<float>& rows, int64_t first_position, const std::vector<float>& full, int64_t V) {
  double m = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    m = std::max(m, double(std::fabs(rows[i] - full[first_position * V + int64_t(i)])));
  return m;
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
  std::vector<float> full;
  REQUIRE(model->forward(all, full).is_ok());

  ContextCache cache;
  std::vector<float> rows;
  int64_t reused = -1;
  const std::vector<int32_t> first(all.begin(), all.begin() + 7);
  REQUIRE(model->forward_incremental(first, causal, cache, rows, reused).is_ok());
  CHECK(reused == 0);
  CHECK(max_row_diff(rows, 0, full, V) < 1e-4);

  // The user typed 5 more tokens: only those rows are computed.
  REQUIRE(model->forward_incremental(all, causal, cache, rows, reused).is_ok());
  CHECK(reused == 7);
  CHECK(rows.size() == size_t(5 * V));
  CHECK(max_row_diff(rows, 7, full, V) < 1e-4);

  // An edit at position 3: everything from there is recomputed, and still exact.
  std::vector<int32_t> edited = all;
  edited[3] = 12;
  std::vector<float> edited_full;
  REQUIRE(model->forward(edited, edited_full).is_ok());
  REQUIRE(model->forward_incremental(edited, causal, cache, rows, reused).is_ok());
  CHECK(reused == 3);
  CHECK(max_row_diff(rows, 3, edited_full, V) < 1e-4);

  // The same sequence again: only its last row is recomputed (there must be logits).
  REQUIRE(model->forward_incremental(edited, causal, cache, rows, reused).is_ok());
  CHECK(reused == int64_t(edited.size()) - 1);
}

TEST_CASE("context cache: refused for fully bidirectional attention") {
  auto model = Model::load(test::write_tiny_dream("context-cache-full"));
  REQUIRE(model.is_ok());
  ContextCache cache;
  std::vector<float> rows;
  int64_t reused = 0;
  auto s = model->forward_incremental(std::vector<int32_t>{0, 5, 9}, AttentionMask{}, cache, rows, reused);
  CHECK_FALSE(s.is_ok());
}

TEST_CASE("context cache: exact under the block-causal mask of the infilld FIM format") {
  // Context of 8 tokens (causal), then blocks of 3 (each sees the context, earlier blocks
  // and itself). Typing at the cursor appends to the context: the cached context rows stay
  // exact, and the blocks after it are recomputed.
  auto model = Model::load(test::write_tiny_dream("context-cache-block"));
  REQUIRE(model.is_ok());
  const int64_t V = model->config().n_vocab;
  const std::vector<int32_t> ctx = {0, 5, 9, 11, 3, 8, 20, 21};
  auto canvas = [](std::vector<int32_t> c) {
    for (int i = 0; i < 6; ++i) c.push_back(47);  // two blocks of 3 masks
    return c;
  };
  ContextCache cache;
  std::vector<float> rows, full;
  int64_t reused = 0;
  const auto first = canvas(ctx);
  AttentionMask mask{MaskKind::BlockCausal, int64_t(ctx.size()), 3};
  REQUIRE(model->forward_incremental(std::vector<int32_t>(ctx.begin(), ctx.end()), mask, cache, rows, reused).is_ok());
  REQUIRE(model->forward_incremental(first, mask, cache, rows, reused).is_ok());
  CHECK(reused == int64_t(ctx.size()));
  REQUIRE(model->forward(first, mask, full).is_ok());
  CHECK(max_row_diff(rows, reused, full, V) < 1e-4);

  // The user typed two more tokens: the context grows, its old rows are reused.
  std::vector<int32_t> longer = ctx;
  longer.insert(longer.end(), {30, 31});
  const auto second = canvas(longer);
  AttentionMask mask2{MaskKind::BlockCausal, int64_t(longer.size()), 3};
  REQUIRE(model->forward_incremental(second, mask2, cache, rows, reused).is_ok());
  CHECK(reused == int64_t(ctx.size()));
  REQUIRE(model->forward(second, mask2, full).is_ok());
  CHECK(max_row_diff(rows, reused, full, V) < 1e-4);
}
