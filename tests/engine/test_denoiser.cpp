// The denoising loop against a scripted model: a test double whose logits the test sets,
// so each case shows exactly which positions are revealed at each step.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <vector>

#include "engine/denoise/denoiser.h"
#include "scripted_denoisable.h"
#include "engine/denoise/schedule.h"

using namespace infilld;
using namespace infilld::engine;

namespace {

constexpr int32_t kVocab = 16;
constexpr int32_t kMask = 15;
constexpr int32_t kEos = 14;

// Row r of every forward predicts `plan[r].token` with logit `plan[r].logit` (others 0), so
// p(token) = e^logit / (e^logit + V - 1). Rows without a plan are flat. Records each canvas.
class ScriptedModel : public test::ScriptedDenoisable {
 public:
  struct Plan {
    int32_t token;
    float logit;
    int32_t runner_up = -1;  // optional second token with its own logit
    float runner_up_logit = 0.0f;
  };
  std::map<int64_t, Plan> plan;
  std::vector<std::vector<int32_t>> seen;

  int64_t n_vocab() const override { return kVocab; }
  Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    seen.emplace_back(tokens.begin(), tokens.end());
    logits.assign(tokens.size() * kVocab, 0.0f);
    for (const auto& [row, p] : plan) {
      if (row >= static_cast<int64_t>(tokens.size())) continue;
      logits[row * kVocab + p.token] = p.logit;
      if (p.runner_up >= 0) logits[row * kVocab + p.runner_up] = p.runner_up_logit;
    }
    return Status::ok();
  }
};

CanvasSpec spec(bool shifted) {
  CanvasSpec s;
  s.mask = kMask;
  s.eos = -1;
  s.bos = -1;
  s.stop = {kEos};
  s.shifted = shifted;
  return s;
}

// Positions (relative to the span) revealed at each forward, read from the canvases seen.
std::vector<std::vector<int>> reveals(const ScriptedModel& m, int64_t span_begin, int64_t n,
                                      const std::vector<int32_t>& final_canvas) {
  std::vector<std::vector<int>> steps;
  for (size_t f = 0; f < m.seen.size(); ++f) {
    const auto& before = m.seen[f];
    const auto& after = f + 1 < m.seen.size() ? m.seen[f + 1] : final_canvas;
    std::vector<int> step;
    for (int64_t i = 0; i < n; ++i)
      if (before[span_begin + i] == kMask && after[span_begin + i] != kMask) step.push_back(int(i));
    steps.push_back(step);
  }
  return steps;
}

InfillRequest request(int32_t n) {
  InfillRequest r;
  r.prefix = {1, 2};
  r.suffix = {3};
  r.options.max_tokens = n;
  r.options.policy = Policy::Confidence;
  return r;
}

std::vector<int32_t> final_canvas(const InfillRequest& r, const std::vector<int32_t>& middle) {
  std::vector<int32_t> c = r.prefix;
  c.insert(c.end(), middle.begin(), middle.end());
  c.insert(c.end(), r.suffix.begin(), r.suffix.end());
  return c;
}

}  // namespace

TEST_CASE("schedule: Dream's timestep counts, LLaDA's even split, threshold and factor rules") {
  // 8 masks over 4 steps with eps 1e-3: floor(8 * 0.24975) = 1, floor(7 * 0.3329) = 2,
  // floor(5 * 0.4990) = 2, then the rest.
  CHECK(timestep_count(8, 0, 4, 1e-3) == 1);
  CHECK(timestep_count(7, 1, 4, 1e-3) == 2);
  CHECK(timestep_count(5, 2, 4, 1e-3) == 2);
  CHECK(timestep_count(3, 3, 4, 1e-3) == 3);
  CHECK(even_split(10, 4) == std::vector<int64_t>{3, 3, 2, 2});
  CHECK(even_split(2, 4) == std::vector<int64_t>{1, 1, 0, 0});
  const double sorted[] = {0.95, 0.9, 0.5, 0.1};
  using infilld::kernels::reveal_count;
  using infilld::kernels::RevealRule;
  CHECK(reveal_count({RevealRule::Threshold, 0, 0.8}, sorted) == 2);
  CHECK(reveal_count({RevealRule::Threshold, 0, 0.99}, sorted) == 1);  // at least one per step
  // factor 1: thresholds 1 - 1/2 = 0.5, 1 - 1/3 = 0.667, 1 - 1/4 = 0.75 ...
  CHECK(reveal_count({RevealRule::Factor, 0, 1.0}, sorted) == 2);
  const double low[] = {0.4, 0.3};
  CHECK(reveal_count({RevealRule::Factor, 0, 1.0}, low) == 1);
  // A schedule's count may be zero at a step (Dream's timesteps), and is capped at the candidates.
  CHECK(reveal_count({RevealRule::Count, 0, 0.0}, sorted) == 0);
  CHECK(reveal_count({RevealRule::Count, 9, 0.0}, sorted) == 4);
  // The options choose the rule: threshold, then factor, else the schedule's count.
  DecodeOptions o;
  CHECK(reveal_choice(o, 3).rule == RevealRule::Count);
  CHECK(reveal_choice(o, 3).count == 3);
  o.factor = 1.0;
  CHECK(reveal_choice(o, 3).rule == RevealRule::Factor);
  o.threshold = 0.9;
  CHECK(reveal_choice(o, 3).rule == RevealRule::Threshold);
  CHECK(reveal_choice(o, 3).tau == 0.9);
  // Ties keep the lower index first.
  const double tied[] = {0.5, 0.9, 0.5, 0.9};
  CHECK(infilld::kernels::reveal_order(tied) == std::vector<int64_t>{1, 3, 0, 2});
}

TEST_CASE("denoiser: confidence order under the timestep schedule, unshifted rows") {
  ScriptedModel m;
  auto r = request(4);
  r.options.steps = 4;
  r.options.schedule = Schedule::Timestep;
  // Span rows 2..5; confidence order: span 2, 0, 3, 1.
  m.plan = {{2, {5, 3.0f}}, {3, {6, 1.0f}}, {4, {7, 4.0f}}, {5, {8, 2.0f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{5, 6, 7, 8});
  CHECK(out->finish == FinishReason::Length);
  // 4 masks over 4 steps: floor(4 * 0.2498) = 0, floor(4 * 0.333) = 1, floor(3 * 0.499) = 1, rest 2.
  auto steps = reveals(m, 2, 4, final_canvas(r, out->tokens));
  CHECK(steps == std::vector<std::vector<int>>{{}, {2}, {0}, {1, 3}});
  CHECK(out->stats.forwards == 4);
  CHECK(out->stats.revealed_per_step == std::vector<int32_t>{0, 1, 1, 2});
}

TEST_CASE("denoiser: shifted logits read the row before each position") {
  ScriptedModel m;
  auto r = request(2);
  r.options.steps = 2;
  r.options.schedule = Schedule::Even;
  // Span at canvas positions 2 and 3, predicted by rows 1 and 2; row 2 is the surer one.
  m.plan = {{1, {9, 1.0f}}, {2, {10, 5.0f}}};
  auto out = denoise(m, spec(true), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{9, 10});
  CHECK(reveals(m, 2, 2, final_canvas(r, out->tokens)) == std::vector<std::vector<int>>{{1}, {0}});
}

TEST_CASE("denoiser: blocks are decoded in order with the even split inside each") {
  ScriptedModel m;
  auto r = request(8);
  r.options.steps = 4;  // 2 blocks of 4 -> 2 steps per block, 2 + 2 reveals
  r.options.block_length = 4;
  r.options.schedule = Schedule::Even;
  // The second block is far more confident, yet waits for the first.
  for (int i = 0; i < 8; ++i) m.plan[2 + i] = {int32_t(1 + i), i < 4 ? 1.0f + i : 9.0f + i};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(reveals(m, 2, 8, final_canvas(r, out->tokens)) ==
        std::vector<std::vector<int>>{{2, 3}, {0, 1}, {6, 7}, {4, 5}});
}

TEST_CASE("denoiser: threshold decoding reveals several per step when confident") {
  ScriptedModel m;
  auto r = request(4);
  r.options.threshold = 0.9;
  // p = e^a / (e^a + 15): a = 6 gives 0.964, a = 1 gives 0.153.
  m.plan = {{2, {5, 6.0f}}, {3, {6, 1.0f}}, {4, {7, 6.0f}}, {5, {8, 1.5f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{5, 6, 7, 8});
  // Step 1: both confident positions; then one per step (the rest stay below tau).
  CHECK(reveals(m, 2, 4, final_canvas(r, out->tokens)) == std::vector<std::vector<int>>{{0, 2}, {3}, {1}});
  CHECK(out->stats.forwards == 3);
}

TEST_CASE("denoiser: margin and entropy order positions differently from confidence") {
  // Row 2: top 0.47 vs runner-up 0.47 (tiny margin); row 3: top 0.3 alone (large margin).
  ScriptedModel m;
  auto r = request(2);
  r.options.steps = 2;
  r.options.schedule = Schedule::Even;
  m.plan = {{2, {5, 4.0f, 6, 4.0f}}, {3, {7, 2.0f}}};
  r.options.policy = Policy::Confidence;
  REQUIRE(denoise(m, spec(false), r).is_ok());
  CHECK(reveals(m, 2, 2, final_canvas(r, {5, 7})) == std::vector<std::vector<int>>{{0}, {1}});
  m.seen.clear();
  r.options.policy = Policy::Margin;
  REQUIRE(denoise(m, spec(false), r).is_ok());
  CHECK(reveals(m, 2, 2, final_canvas(r, {5, 7})) == std::vector<std::vector<int>>{{1}, {0}});
  m.seen.clear();
  r.options.policy = Policy::Entropy;  // row 2's mass sits on two tokens: lower entropy there
  REQUIRE(denoise(m, spec(false), r).is_ok());
  CHECK(reveals(m, 2, 2, final_canvas(r, {5, 7})) == std::vector<std::vector<int>>{{0}, {1}});
}

TEST_CASE("denoiser: a stop token ends the middle and the loop exits once it is final") {
  ScriptedModel m;
  auto r = request(6);
  r.options.steps = 6;
  r.options.schedule = Schedule::Even;
  m.plan = {{2, {5, 9.0f}}, {3, {kEos, 8.0f}}, {4, {7, 1.0f}}, {5, {7, 1.0f}}, {6, {7, 1.0f}}, {7, {7, 1.0f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{5});
  CHECK(out->finish == FinishReason::Stop);
  CHECK(out->stats.forwards == 2);  // the rest is dropped, so it is never computed
}

TEST_CASE("denoiser: a settled answer ends the run with the final part") {
  ScriptedModel m;
  auto r = request(6);
  r.options.steps = 6;  // one token per step, left to right (confidence falls to the right)
  r.options.schedule = Schedule::Even;
  for (int i = 0; i < 6; ++i) m.plan[2 + i] = {int32_t(1 + i), 9.0f - float(i)};
  std::vector<size_t> asked;
  r.settled = [&](std::span<const int32_t> final_tokens) {
    asked.push_back(final_tokens.size());
    return final_tokens.size() >= 3;  // the caller needs three tokens
  };
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{1, 2, 3});
  CHECK(out->finish == FinishReason::Stop);
  CHECK(out->stats.forwards == 3);  // the other three are never computed
  CHECK(asked == std::vector<size_t>{1, 2, 3});
}

TEST_CASE("denoiser: an empty canvas is refused before anything is laid out") {
  ScriptedModel m;
  auto r = request(0);
  auto out = denoise(m, spec(false), r);
  CHECK_FALSE(out.is_ok());
  std::vector<InfillRequest> two = {request(0), request(3)};
  m.plan = {{2, {5, 1.0f}}, {3, {6, 1.0f}}, {4, {7, 1.0f}}};
  auto batch = denoise_batch(m, spec(false), two);
  CHECK_FALSE(batch[0].is_ok());
  REQUIRE(batch[1].is_ok());
  CHECK(batch[1]->tokens == std::vector<int32_t>{5, 6, 7});
}

TEST_CASE("denoiser: a passed deadline fills the rest greedily and says so") {
  ScriptedModel m;
  auto r = request(3);
  r.options.deadline = std::chrono::steady_clock::now();
  m.plan = {{2, {5, 1.0f}}, {3, {6, 1.0f}}, {4, {7, 1.0f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->finish == FinishReason::Deadline);
  CHECK(out->tokens == std::vector<int32_t>{5, 6, 7});
  CHECK(out->stats.forwards == 1);
}

TEST_CASE("denoiser: a cancelled request returns before its next step") {
  ScriptedModel m;
  auto r = request(4);
  std::atomic<bool> cancel{true};
  r.cancel = &cancel;
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->finish == FinishReason::Cancelled);
  CHECK(out->stats.forwards == 0);

  // Cancelled from the streaming callback after the first reveal: one more step at most.
  ScriptedModel m2;
  cancel = false;
  m2.plan = {{2, {5, 9.0f}}, {3, {6, 1.0f}}, {4, {7, 1.0f}}, {5, {8, 1.0f}}};
  r.options.steps = 4;
  r.options.schedule = Schedule::Even;
  r.on_update = [&](std::span<const int32_t>) { cancel = true; };
  out = denoise(m2, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->finish == FinishReason::Cancelled);
  CHECK(out->stats.forwards == 1);
  CHECK(out->tokens == std::vector<int32_t>{5});
}

TEST_CASE("denoiser: streaming reports the final prefix as it grows") {
  ScriptedModel m;
  auto r = request(3);
  r.options.steps = 3;
  r.options.schedule = Schedule::Even;
  // Reveal order: span 1, 0, 2 -> the final prefix goes 0 -> 2 -> 3 tokens.
  m.plan = {{2, {5, 2.0f}}, {3, {6, 3.0f}}, {4, {7, 1.0f}}};
  std::vector<std::vector<int32_t>> updates;
  r.on_update = [&](std::span<const int32_t> t) { updates.emplace_back(t.begin(), t.end()); };
  REQUIRE(denoise(m, spec(false), r).is_ok());
  CHECK(updates == std::vector<std::vector<int32_t>>{{5, 6}, {5, 6, 7}});
}

TEST_CASE("denoiser: sampling is reproducible from the seed; temperature 0 is argmax") {
  ScriptedModel m;
  for (int i = 0; i < 6; ++i) m.plan[2 + i] = {int32_t(1 + i), 0.5f};
  auto r = request(6);
  r.options.temperature = 1.0;
  r.options.seed = 42;
  auto a = denoise(m, spec(false), r);
  auto b = denoise(m, spec(false), r);
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  CHECK(a->tokens == b->tokens);
  r.options.temperature = 0.0;
  auto greedy = denoise(m, spec(false), r);
  REQUIRE(greedy.is_ok());
  CHECK(greedy->tokens == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("denoiser: bad requests get clear errors") {
  ScriptedModel m;
  auto r = request(4);
  r.prefix = {99};
  auto out = denoise(m, spec(false), r);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.message().find("outside the vocabulary") != std::string::npos);
  r = request(4);
  r.prefix.clear();
  out = denoise(m, spec(true), r);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.message().find("prefix") != std::string::npos);
  r = request(4);
  r.options.threshold = 0.5;
  r.options.factor = 1.0;
  CHECK_FALSE(denoise(m, spec(false), r).is_ok());
  auto s = spec(false);
  s.mask = -1;
  CHECK_FALSE(denoise(m, s, request(4)).is_ok());
  // A DreamOn setting on a fixed-length canvas is refused, not ignored.
  auto fixed = request(4);
  fixed.options.max_length = 8;
  auto refused = denoise(m, spec(false), fixed);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.message().find("DreamOn") != std::string::npos);
}

TEST_CASE("denoiser: the mask token is never chosen, even when the model prefers it") {
  ScriptedModel m;
  auto r = request(2);
  r.options.threshold = 0.5;
  // Row 2 prefers the mask itself; its best real token is 6.
  m.plan = {{2, {kMask, 9.0f, 6, 2.0f}}, {3, {7, 9.0f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(out->tokens == std::vector<int32_t>{6, 7});
  CHECK(out->stats.forwards <= 2);
}

TEST_CASE("denoiser: DreamOn's expand grows the span and a revealed end-of-text deletes its slot") {
  // Canvas [1 2 | M M | 3 EOS]. First forward: row 2 says <expand> (sure), row 3 says 9.
  // After the expansion the span is [M M M]: rows 2, 3, 4 say 5, 6 and end-of-text.
  constexpr int32_t kExpand = 13;
  class ElasticModel : public test::ScriptedDenoisable {
   public:
    int64_t n_vocab() const override { return kVocab; }
    Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
      logits.assign(tokens.size() * kVocab, 0.0f);
      auto set = [&](size_t row, int32_t token, float logit) { logits[row * kVocab + token] = logit; };
      if (tokens.size() == 6) {
        set(2, kExpand, 9.0f);
        set(3, 9, 1.0f);
      } else {
        set(2, 5, 9.0f);
        set(3, 6, 8.0f);
        set(4, kEos, 7.0f);
      }
      return Status::ok();
    }
  } m;
  auto s = spec(false);
  s.expand = kExpand;
  s.eos = kEos;
  auto r = request(2);
  r.options.threshold = 0.5;
  r.options.max_length = 4;
  auto out = denoise(m, s, r);
  REQUIRE_MESSAGE(out.is_ok(), (out.is_ok() ? "" : out.message()));
  CHECK(out->tokens == std::vector<int32_t>{5, 6});
  CHECK(out->stats.expanded == 1);
  CHECK(out->stats.deleted == 1);

  // At the maximum length the expand token is no longer chosen.
  r.options.max_length = 2;
  out = denoise(m, s, r);
  REQUIRE(out.is_ok());
  CHECK(out->stats.expanded == 0);
  CHECK(out->tokens.size() == 2);
}

namespace {

// Records how many canvases each pass stacks; refuses any pass holding a canvas with the
// token `refuse` (as a device might refuse one request's call).
class BatchCountingModel : public ScriptedModel {
 public:
  std::vector<size_t> batch_sizes;
  int32_t refuse = -1;
  Status canvas_logits_batch(std::span<const std::span<const int32_t>> canvases,
                             std::span<std::vector<float>*> logits) override {
    batch_sizes.push_back(canvases.size());
    for (auto c : canvases)
      if (std::find(c.begin(), c.end(), refuse) != c.end()) return error("canvas with ", refuse, " refused");
    return ScriptedDenoisable::canvas_logits_batch(canvases, logits);
  }
};

// What `request` gets alone, from a fresh model with the same plan.
Expected<InfillResult> alone(const ScriptedModel& like, const InfillRequest& request) {
  ScriptedModel model;
  model.plan = like.plan;
  return denoise(model, spec(false), request);
}

}  // namespace

TEST_CASE("denoiser: a batch gives each request what it gets alone, in shared forwards") {
  BatchCountingModel m;
  for (int i = 0; i < 12; ++i) m.plan[2 + i] = {int32_t(1 + (i * 5) % 13), 1.0f + 0.37f * float((i * 7) % 11)};
  m.plan[6].token = kEos;  // the 5th span token of the 8-token request: an early stop

  std::vector<InfillRequest> requests(4);
  for (size_t i = 0; i < requests.size(); ++i) requests[i] = request(int32_t(4 + 2 * i));
  requests[1].options.schedule = Schedule::Even;
  requests[2].options.threshold = 0.3;
  requests[3].prefix = {99};  // invalid: answered with its own error, the others unaffected

  auto batched = denoise_batch(m, spec(false), requests);
  REQUIRE(batched.size() == 4);
  CHECK_FALSE(batched[3].is_ok());
  for (size_t i = 0; i < 3; ++i) {
    auto solo = alone(m, requests[i]);
    REQUIRE(solo.is_ok());
    REQUIRE(batched[i].is_ok());
    CHECK(batched[i]->tokens == solo->tokens);
    CHECK(batched[i]->finish == solo->finish);
    CHECK(batched[i]->stats.forwards == solo->stats.forwards);
  }
  // The first round holds all three valid requests in one forward.
  REQUIRE_FALSE(m.batch_sizes.empty());
  CHECK(m.batch_sizes.front() == 3);
}

TEST_CASE("denoiser: a stacked forward that fails fails only the request that made it fail") {
  // The model refuses any pass holding a canvas with token 12: stacked, the pass fails; each
  // call again alone, only that one does.
  BatchCountingModel m;
  m.refuse = 12;
  for (int i = 0; i < 8; ++i) m.plan[2 + i] = {int32_t(1 + i), 2.0f};
  std::vector<InfillRequest> requests = {request(4), request(4), request(4)};
  requests[1].prefix = {12};  // a valid token the model refuses
  auto batched = denoise_batch(m, spec(false), requests);
  REQUIRE(batched.size() == 3);
  REQUIRE_FALSE(batched[1].is_ok());
  CHECK(batched[1].message().find("canvas with 12 refused") != std::string::npos);
  for (size_t i : {size_t(0), size_t(2)}) {
    auto solo = alone(m, requests[i]);
    REQUIRE(solo.is_ok());
    REQUIRE(batched[i].is_ok());
    CHECK(batched[i]->tokens == solo->tokens);
  }
  REQUIRE_FALSE(m.batch_sizes.empty());
  CHECK(m.batch_sizes.front() == 3);  // it was stacked first
}

TEST_CASE("denoiser: factor decoding reveals the confident run, the random policy follows its seed") {
  ScriptedModel m;
  auto r = request(4);
  r.options.factor = 1.0;
  // Confidences 0.964, 0.920, 0.5, 0.153: bounds 0.5, 0.667, 0.75 -> the first two.
  m.plan = {{2, {5, 6.0f}}, {3, {6, 5.15f}}, {4, {7, 2.7f}}, {5, {8, 1.0f}}};
  auto out = denoise(m, spec(false), r);
  REQUIRE(out.is_ok());
  CHECK(reveals(m, 2, 4, final_canvas(r, out->tokens)).front() == std::vector<int>{0, 1});

  // Random policy: the schedule's counts, positions by a seeded draw; same seed, same order.
  auto order_for = [&](uint64_t seed) {
    ScriptedModel rm;
    rm.plan = m.plan;
    auto rr = request(4);
    rr.options.policy = Policy::Random;
    rr.options.schedule = Schedule::Even;
    rr.options.seed = seed;
    auto o = denoise(rm, spec(false), rr);
    REQUIRE(o.is_ok());
    CHECK(o->tokens == std::vector<int32_t>{5, 6, 7, 8});
    CHECK(o->stats.revealed_per_step == std::vector<int32_t>{1, 1, 1, 1});
    return reveals(rm, 2, 4, final_canvas(rr, o->tokens));
  };
  CHECK(order_for(3) == order_for(3));
  bool some_seed_differs = false;
  for (uint64_t seed = 4; seed < 12 && !some_seed_differs; ++seed) some_seed_differs = order_for(seed) != order_for(3);
  CHECK(some_seed_differs);
}
