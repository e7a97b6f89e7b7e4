// Fast-dLLM's approximate caches (prefix and dual) against the exact loop (cache none) on
// tiny random Dream checkpoints: the same requests decoded three ways, token by token.
// The caches are approximate for bidirectional attention (the cached rows' K/V go stale as
// the block fills in), so the middles may differ; what must hold is that they mostly agree,
// and that they cost fewer positions.
// The bounds were measured on these checkpoints (see the MESSAGE line) with a margin.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "engine/denoise/denoiser.h"
#include "engine/model.h"
#include "tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

namespace {

struct Decoded {
  std::vector<int32_t> tokens;
  int64_t positions = 0;
};

Decoded decode(Model& model, const InfillRequest& request) {
  ModelDenoisable denoisable(model);
  // No stop tokens: every middle fills its whole canvas, so the three are compared
  // position by position.
  CanvasSpec spec = canvas_spec(model.config(), 0);
  spec.stop.clear();
  auto out = denoise(denoisable, spec, request);
  REQUIRE_MESSAGE(out.is_ok(), (out.is_ok() ? "" : out.message()));
  return {out->tokens, out->stats.positions};
}

// Positions where the two middles hold the same token.
int agreeing(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  int n = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) n += a[i] == b[i];
  return n;
}

InfillRequest make_request(int variant, CacheMode mode) {
  InfillRequest r;
  // Prompts of different lengths and tokens (ids below the tiny vocabulary's mask, 47).
  r.prefix = {2, int32_t(5 + variant), 9, int32_t(11 + 2 * variant), 17};
  r.prefix.resize(r.prefix.size() + size_t(variant % 3), int32_t(20 + variant));
  r.suffix = {int32_t(12 + variant), 30, 31};
  r.options.max_tokens = 16;
  r.options.block_length = 8;
  r.options.steps = 16;
  r.options.cache = mode;
  return r;
}

}  // namespace

TEST_CASE("approximate caches: prefix and dual agree with the exact loop on most tokens, for fewer positions") {
  int total = 0, agree[3] = {}, first_of_block[3] = {}, blocks = 0;
  int64_t positions[3] = {};
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    auto model = Model::load(test::write_tiny_dream("approx-caches-" + std::to_string(seed), seed));
    REQUIRE(model.is_ok());
    for (int variant = 0; variant < 6; ++variant) {
      Decoded out[3];
      int m = 0;
      for (CacheMode mode : {CacheMode::None, CacheMode::Prefix, CacheMode::Dual})
        out[m++] = decode(*model, make_request(variant, mode));
      for (const auto& o : out) REQUIRE(o.tokens.size() == 16);
      total += 16;
      blocks += 1;
      for (int k = 0; k < 3; ++k) {
        agree[k] += agreeing(out[0].tokens, out[k].tokens);
        positions[k] += out[k].positions;
        // The first block starts from the same canvas in all three modes; the second
        // starts from whatever the first became, so disagreements compound there.
        first_of_block[k] += agreeing(std::vector<int32_t>(out[0].tokens.begin(), out[0].tokens.begin() + 8),
                                      std::vector<int32_t>(out[k].tokens.begin(), out[k].tokens.begin() + 8));
      }
    }
  }
  MESSAGE("tokens agreeing with cache none, of " << total << ": prefix " << agree[1] << ", dual " << agree[2]
                                                  << "; first blocks (of " << 8 * blocks << "): prefix "
                                                  << first_of_block[1] << ", dual " << first_of_block[2]
                                                  << "; positions none " << positions[0] << ", prefix " << positions[1]
                                                  << ", dual " << positions[2]);
  // Measured on this machine (AMD EPYC, AVX-512; the tiny checkpoints are F32): prefix
  // 236/384 overall and 165/192 in first blocks, dual 194/384 and 137/192. Cached rows
  // rotated at the wrong positions (RoPE from 0 instead of their row) gave 137, 116, 107
  // and 87, below all four bounds. (Skipping the refill at the second block's start costs
  // only a few tokens here, 229 and 186: the bounds do not claim to catch that.) The
  // bounds leave room for another ISA's rounding.
  CHECK(agree[0] == total);
  CHECK(agree[1] >= total / 2);              // prefix: at least half of all tokens
  CHECK(agree[2] >= total * 2 / 5);          // dual: at least 40%
  CHECK(first_of_block[1] >= 8 * blocks * 3 / 4);  // prefix, first blocks: 75%
  CHECK(first_of_block[2] >= 8 * blocks * 3 / 5);  // dual, first blocks: 60%
  CHECK(positions[1] < positions[0]);
  CHECK(positions[2] < positions[1]);
}
