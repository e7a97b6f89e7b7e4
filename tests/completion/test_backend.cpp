// The completion backend (src/completion/backend.h) with its local implementation: a tiny
// random Dream checkpoint written here (tests/engine/tiny_model.h) with a byte-level
// tokenizer.json of the 256 bytes, loaded on the CPU. The model's two extra ids (256: end
// of text, 257: mask) are not the tokenizer's, so the engine never chooses them: every
// request fills its whole canvas with bytes.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "completion/backend.h"
#include "completion/local_backend.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "../engine/tiny_model.h"

using namespace infilld;
using completion::FillRequest;
using completion::FillResult;
using completion::LocalBackend;
using engine::FinishReason;

namespace {

namespace fs = std::filesystem;

// A test's model folder, removed when it goes (after the backend that maps it: declare it
// first). Named by the process, for ctest runs every case in a process of its own, in parallel.
struct TempModel {
  fs::path dir;
  ~TempModel() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

std::string unique(const std::string& name) { return name + "-" + std::to_string(::getpid()); }

// A tiny Dream with a tokenizer: ids 0-255 are the bytes, 256 ends the text, 257 is the mask.
fs::path tiny_model_with_tokenizer() {
  static TempModel model{test::write_tiny_dream(unique("completion-backend"), 3,
                                                {{"vocab_size", 258},
                                                 {"bos_token_id", 256},
                                                 {"eos_token_id", 256},
                                                 {"pad_token_id", 256},
                                                 {"max_position_embeddings", 512}})};
  const fs::path& dir = model.dir;
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[engine::byte_level::byte_to_utf8(static_cast<uint8_t>(b))] = b;
  const nlohmann::json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false},
                                     {"use_regex", true}};
  const nlohmann::json tokenizer = {
      {"version", "1.0"},
      {"added_tokens", nlohmann::json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", byte_level},
      {"decoder", byte_level},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  return dir;
}

// The backend, loaded once for the process.
LocalBackend& backend() {
  static auto loaded = LocalBackend::load(tiny_model_with_tokenizer(), {.device = "cpu"});
  REQUIRE_MESSAGE(loaded, (loaded ? std::string() : loaded.message()));
  return **loaded;
}

FillRequest request(std::string_view prefix, std::string_view suffix, int32_t max_tokens) {
  const engine::Tokenizer& tokenizer = *backend().facts().tokenizer;
  FillRequest r{.prefix = std::string(prefix),
                .suffix = std::string(suffix),
                .prefix_ids = tokenizer.encode(prefix),
                .suffix_ids = tokenizer.encode(suffix),
                .options = backend().facts().defaults,
                .settled = {}};
  r.options.max_tokens = max_tokens;
  r.options.steps = max_tokens;  // one token per step: as many forwards as tokens
  return r;
}

}  // namespace

TEST_CASE("local backend: the model's facts for the planner, and where it runs") {
  const completion::ModelFacts& facts = backend().facts();
  REQUIRE(facts.tokenizer != nullptr);
  CHECK(facts.tokenizer->vocab_size() == 256);
  CHECK(facts.max_positions == 512);
  CHECK(facts.canvas.mask == 257);
  CHECK(facts.canvas.n_choosable == 256);
  CHECK(backend().describe() == "cpu");
  CHECK(backend().fallback_reason().empty());  // cpu was asked for: no fallback
}

TEST_CASE("local backend: a completion comes back with its tokens, decoded, and its costs") {
  auto result = backend().fill(request("def add(a, b):\n    return ", "\n", 8));
  REQUIRE_MESSAGE(result, (result ? std::string() : result.message()));
  CHECK(result->finish == FinishReason::Length);  // the end of text is not choosable
  REQUIRE(result->tokens.size() == 8);
  for (int32_t id : result->tokens) CHECK((id >= 0 && id < 256));
  auto decoded = backend().facts().tokenizer->decode(result->tokens);
  REQUIRE(decoded);
  CHECK(result->text == *decoded);  // the raw middle: not cut, not post-processed
  CHECK(result->stats.forwards == 8);
  CHECK(result->stats.revealed == 8);

  // The same request again: the same middle (the seed is the request's).
  auto again = backend().fill(request("def add(a, b):\n    return ", "\n", 8));
  REQUIRE(again);
  CHECK(again->tokens == result->tokens);
}

TEST_CASE("local backend: callbacks run on the worker thread, updates extend towards the middle") {
  std::mutex m;
  std::vector<std::string> updates;
  std::thread::id update_thread, done_thread;
  std::promise<Expected<FillResult>> done;
  backend().submit(
      request("x = ", "", 6),
      [&](std::string middle) {
        std::lock_guard lock(m);
        update_thread = std::this_thread::get_id();
        updates.push_back(std::move(middle));
      },
      [&](Expected<FillResult> r) {
        done_thread = std::this_thread::get_id();
        done.set_value(std::move(r));
      });
  auto result = done.get_future().get();
  REQUIRE(result);
  CHECK(done_thread != std::this_thread::get_id());
  std::lock_guard lock(m);
  REQUIRE_FALSE(updates.empty());
  CHECK(update_thread == done_thread);
  for (size_t i = 0; i < updates.size(); ++i) {
    CHECK(result->text.starts_with(updates[i]));
    if (i > 0) CHECK(updates[i].size() > updates[i - 1].size());
  }
}

TEST_CASE("local backend: a cancelled request ends as cancelled, its done callback once") {
  // A long request (one forward per token), cancelled as soon as it is queued: skipped, or
  // stopped before its next step.
  std::promise<Expected<FillResult>> done;
  int calls = 0;
  auto ticket = backend().submit(request("a", "b", 256), {}, [&](Expected<FillResult> r) {
    ++calls;
    done.set_value(std::move(r));
  });
  REQUIRE(ticket != nullptr);
  ticket->cancel();
  CHECK(ticket->cancelled());
  auto result = done.get_future().get();
  REQUIRE(result);
  CHECK(result->finish == FinishReason::Cancelled);
  CHECK(result->stats.forwards < 256);
  // The worker is free again: the next request completes.
  auto next = backend().fill(request("a", "b", 4));
  REQUIRE(next);
  CHECK(next->finish == FinishReason::Length);
  CHECK(calls == 1);
}

TEST_CASE("local backend: settings the engine refuses are an error before anything runs") {
  completion::Settings settings;
  settings.max_length = 4;  // shorter than the canvas
  completion::Plan plan;
  plan.max_tokens = 8;
  const auto options = completion::request_options(settings, backend().facts().defaults, {});
  auto filled = completion::fill_request(plan, options);
  REQUIRE_FALSE(filled);
  CHECK(filled.message().find("max length must be in [max tokens, 4096]") != std::string::npos);
}

TEST_CASE("local backend: a folder that is not a model, no tokenizer, an unknown device: clear errors") {
  const fs::path missing = fs::temp_directory_path() / "infilld-test-no-such-model";
  fs::remove_all(missing);
  auto none = LocalBackend::load(missing, {.device = "cpu"});
  REQUIRE_FALSE(none);
  CHECK(none.message().find("cannot load the model from " + missing.string() + ": ") == 0);

  // A model without tokenizer files: refused for text prompts, taken for token ids (no text).
  const TempModel model{test::write_tiny_dream(unique("completion-backend-bare"), 4)};
  const fs::path& bare = model.dir;
  auto text = LocalBackend::load(bare, {.device = "cpu"});
  REQUIRE_FALSE(text);
  CHECK(text.message() == "the model in " + bare.string() +
                              " has no tokenizer files (tokenizer.json or vocab.json + merges.txt)");
  auto ids = LocalBackend::load(bare, {.device = "cpu", .require_tokenizer = false, .warm_up = true});
  REQUIRE_MESSAGE(ids, (ids ? std::string() : ids.message()));
  FillRequest r;
  r.prefix_ids = {2, 3};
  r.suffix_ids = {4};
  r.options = (*ids)->facts().defaults;
  r.options.max_tokens = 3;
  auto result = (*ids)->fill(r);
  REQUIRE(result);
  CHECK(result->tokens.size() <= 3);
  CHECK(result->text.empty());

  auto tpu = LocalBackend::load(bare, {.device = "tpu"});
  REQUIRE_FALSE(tpu);
  CHECK(tpu.message().find("unknown device 'tpu'") != std::string::npos);
}

TEST_CASE("fill_request: the settled test reads the document's lines at the cursor, not the prompt's") {
  // A body line at depth 8 before the cursor's empty line at depth 8: a unit there ends at
  // the first line back at depth 4 or less.
  const std::string text = "def f(xs):\n    for x in xs:\n        y = x\n\n        ";
  completion::PlanInput in;
  in.text = text;
  in.cursor = text.size();
  in.model = &backend().facts();
  in.max_tokens = 8;
  auto plan = completion::plan_completion(in);
  REQUIRE_MESSAGE(plan.is_ok(), (plan.is_ok() ? "" : plan.message()));
  CHECK(plan->shape.kind == context::ShapeKind::MultiLine);
  CHECK(plan->cursor_lines == "        y = x\n\n        ");
  // A prompt whose prefix ends with other text (kept lines, another file's snippet) must not
  // change the test: here it ends at depth 0.
  plan->prompt.prefix = "import os\n";
  auto request = completion::fill_request(std::move(*plan), backend().facts().defaults);
  REQUIRE(request.is_ok());
  REQUIRE(request->settled);
  CHECK_FALSE(request->settled("print(y)\n        z = 1\n"));  // still inside the unit
  CHECK(request->settled("print(y)\n    return y"));            // back at the loop's depth: ended
}
