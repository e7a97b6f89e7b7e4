// The engine worker: requests run on its thread in order, each answered exactly once,
// cancelled ones included.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "engine/worker.h"
#include "scripted_denoisable.h"

using namespace infilld;
using namespace infilld::engine;

namespace {

// Predicts token (position % 5) + 1 everywhere; each forward takes a little time.
class SlowModel : public test::ScriptedDenoisable {
 public:
  std::atomic<int> forwards{0};
  std::thread::id thread;
  int64_t n_vocab() const override { return 8; }
  Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    thread = std::this_thread::get_id();
    ++forwards;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    logits.assign(tokens.size() * 8, 0.0f);
    for (size_t r = 0; r < tokens.size(); ++r) logits[r * 8 + (r % 5) + 1] = 3.0f;
    return Status::ok();
  }
};

// The first forward waits at a gate until the test opens it, so what the test submits meanwhile
// is certainly still queued: no timing luck.
class GatedModel : public SlowModel {
 public:
  std::atomic<bool> open{false}, entered{false};
  std::atomic<size_t> largest{0};
  Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) override {
    entered = true;
    while (!open) std::this_thread::sleep_for(std::chrono::microseconds(200));
    return SlowModel::canvas_logits(tokens, logits);
  }
  Status canvas_logits_batch(std::span<const std::span<const int32_t>> canvases,
                             std::span<std::vector<float>*> logits) override {
    largest = std::max(largest.load(), canvases.size());
    return ScriptedDenoisable::canvas_logits_batch(canvases, logits);
  }
  void wait_entered() const {
    for (int i = 0; i < 5000 && !entered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

CanvasSpec spec() {
  CanvasSpec s;
  s.mask = 7;
  return s;
}

InfillRequest request(int n) {
  InfillRequest r;
  r.prefix = {1};
  r.options.max_tokens = n;
  r.options.schedule = Schedule::Even;
  return r;
}

}  // namespace

TEST_CASE("worker: runs requests on its own thread, in order, each answered once") {
  SlowModel model;
  std::vector<int> order;
  std::mutex m;
  std::vector<std::promise<FinishReason>> done(3);
  {
    EngineWorker worker(model, spec());
    for (int i = 0; i < 3; ++i)
      worker.submit(request(3 + i), [&, i](Expected<InfillResult> r) {
        std::lock_guard lock(m);
        order.push_back(i);
        done[i].set_value(r.is_ok() ? r->finish : FinishReason::Cancelled);
      });
    for (auto& d : done) CHECK(d.get_future().get() == FinishReason::Length);
  }
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(model.thread != std::this_thread::get_id());
}

TEST_CASE("worker: a cancelled request is answered as cancelled within a step") {
  GatedModel model;
  std::promise<InfillResult> first, second;
  EngineWorker worker(model, spec());
  auto ticket1 = worker.submit(request(64), [&](Expected<InfillResult> r) { first.set_value(std::move(*r)); });
  model.wait_entered();  // the first request is running, alone
  auto ticket2 = worker.submit(request(4), [&](Expected<InfillResult> r) { second.set_value(std::move(*r)); });
  ticket2->cancel();  // still queued: skipped without a forward
  model.open = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ticket1->cancel();  // running: returns before its next step
  auto r1 = first.get_future().get();
  auto r2 = second.get_future().get();
  CHECK(r1.finish == FinishReason::Cancelled);
  CHECK(r1.stats.forwards >= 1);
  CHECK(r1.stats.forwards < 64);
  CHECK(r2.finish == FinishReason::Cancelled);
  CHECK(r2.stats.forwards == 0);
}

TEST_CASE("worker: destruction answers every queued request") {
  SlowModel model;
  std::atomic<int> answered{0};
  {
    EngineWorker worker(model, spec());
    for (int i = 0; i < 5; ++i) worker.submit(request(16), [&](Expected<InfillResult>) { ++answered; });
  }
  CHECK(answered == 5);
}

TEST_CASE("worker: requests submitted while one runs join it at its next step, and leave when done") {
  GatedModel model;
  std::mutex m;
  std::vector<int> order;  // which request was answered when
  std::vector<std::promise<InfillResult>> results(4);
  {
    EngineWorker worker(model, spec());
    auto answer = [&](int i) {
      return [&, i](Expected<InfillResult> r) {
        std::lock_guard lock(m);
        order.push_back(i);
        results[i].set_value(std::move(*r));
      };
    };
    worker.submit(request(24), answer(0));
    model.wait_entered();  // request 0 is in its first forward, alone
    for (int i = 1; i < 4; ++i) worker.submit(request(4), answer(i));
    model.open = true;
    std::vector<InfillResult> r;
    for (auto& p : results) r.push_back(p.get_future().get());
    // The three joined the running request: one forward of all four.
    CHECK(model.largest == 4);
    // Each short one left when it was done, long before the long one.
    REQUIRE(order.size() == 4);
    CHECK(order.back() == 0);
    // Each result is what the request gives alone (SlowModel predicts by position).
    for (int i = 0; i < 4; ++i) {
      SlowModel alone;
      auto solo = denoise(alone, spec(), request(i == 0 ? 24 : 4));
      REQUIRE(solo);
      CHECK(r[i].tokens == solo->tokens);
      CHECK(r[i].finish == solo->finish);
      CHECK(r[i].stats.forwards == solo->stats.forwards);
    }
  }
}

TEST_CASE("worker: more requests than a batch holds wait, and join as others leave") {
  GatedModel model;
  std::atomic<int> answered{0};
  {
    EngineWorker worker(model, spec());
    worker.submit(request(4), [&](Expected<InfillResult> r) { answered += r.is_ok(); });
    model.wait_entered();
    for (int i = 0; i < 11; ++i) worker.submit(request(4), [&](Expected<InfillResult> r) { answered += r.is_ok(); });
    model.open = true;
    for (int i = 0; i < 10000 && answered < 12; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(answered == 12);
  CHECK(model.largest == 8);  // the batch's bound
}
