// What a front end asks of "something that fills a middle": the CompletionBackend. The
// front ends (infilld complete, infilld context, the language server, later the HTTP
// server) plan a completion (completion/plan.h) with the facts the backend gives of its
// model, submit the planned prompt, and post-process the middle that comes back
// (finish_completion); none of them touches the engine's worker or its devices.
//
//   LocalBackend (completion/local_backend.h)   the model loaded here, on the CPU or a GPU
//   a remote backend (the HTTP server issue)      another infilld, an OpenAI-compatible
//                                                 server, llama.cpp's /infill...
//
// A request carries the prompt both as text (what a remote engine sends) and as the local
// model's token ids (what the engine fills between); a backend reads the form it needs.
// A result carries the middle as text, as the engine gave it: post-processing is the
// completion layer's (finish_completion), never a backend's; the local engine adds its
// tokens and statistics.
//
// Which thread may call what: describe(), facts() and submit() from any thread once the
// backend is made (facts() is read-only; the tokenizer in it is read-only too); a Ticket's
// cancel() from any thread. The callbacks given to submit() run on the backend's own
// worker thread, never on the caller's: a front end with an event loop hands them to its
// loop (the language server posts them through its Mailbox, lsp/engine_host.h). fill()
// blocks the calling thread until the result is in.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "completion/plan.h"
#include "completion/settings.h"
#include "engine/denoise/denoiser.h"

namespace infilld::completion {

// One middle to fill.
struct FillRequest {
  std::string prefix, suffix;                   // the planned prompt's text (Plan::prompt)
  std::vector<int32_t> prefix_ids, suffix_ids;  // the same in the model's token ids
  engine::DecodeOptions options;                // max_tokens: the canvas length; the deadline
  // Whether the middle so far (text, as it becomes final) already fixes the suggestion, so
  // that a backend may stop there (set by fill_request from the plan's shape; empty: fill
  // the whole canvas, as --raw wants).
  std::function<bool(std::string_view middle)> settled;
};

// The middle a backend filled.
struct FillResult {
  std::string text;  // decoded as the engine gave it: not cut, not post-processed
  std::vector<int32_t> tokens;  // the middle's token ids (local engine; empty otherwise)
  engine::FinishReason finish = engine::FinishReason::Length;
  engine::DenoiseStats stats;   // the local engine's costs (zero otherwise)
};

// A submitted request's handle: cancel() makes the backend stop it as soon as it can (the
// local engine: before its next denoising step, or skipped while still queued); the done
// callback still runs exactly once, with FinishReason::Cancelled.
class Ticket {
 public:
  // `on_cancel`: what the backend does on the first cancel() (the local engine cancels its
  // worker's ticket); none for a ticket the backend polls.
  explicit Ticket(std::function<void()> on_cancel = {}) : on_cancel_(std::move(on_cancel)) {}
  void cancel() {
    if (!cancelled_.exchange(true, std::memory_order_relaxed) && on_cancel_) on_cancel_();
  }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
  const std::function<void()> on_cancel_;
};

class CompletionBackend {
 public:
  // The middle so far as it becomes final, decoded (each update extends the one before,
  // though a character split across tokens may end it).
  using Update = std::function<void(std::string middle)>;
  using Done = std::function<void(Expected<FillResult>)>;

  virtual ~CompletionBackend() = default;

  // Where completions run, for people and infilld/stats: "cpu", "cuda: <the GPU>" (later
  // "remote: <URL>").
  virtual std::string describe() const = 0;
  // The model's facts the planner needs (PlanInput::model) and its decoding defaults.
  virtual const ModelFacts& facts() const = 0;
  // Queues `request`; `on_update` (may be empty: no streaming) and `done` run on the
  // backend's worker thread. The ticket cancels it.
  virtual std::shared_ptr<Ticket> submit(FillRequest request, Update on_update, Done done) = 0;

  // Whether the backend can still serve what it loaded: the local engine checks that its
  // weight files are the ones it mapped (an error naming the file otherwise: load again).
  virtual Status check() const { return Status::ok(); }

  // The engine's denoising steps by how many requests took them together (index: batch
  // size; index 0 unused); empty where no engine runs here (a remote backend).
  virtual std::vector<uint64_t> steps_by_batch_size() const { return {}; }

  // submit() and wait for its result (the CLI's one completion).
  Expected<FillResult> fill(FillRequest request);
};

// One request's decoding options: the family's defaults with the settings' decoding keys
// over them, the settings' canvas length when set (else the family's; a plan sets its own
// with fill_request), the deadline counted from `start`. Validated by fill_request().
engine::DecodeOptions request_options(const Settings& settings, const engine::DecodeOptions& defaults,
                                      std::chrono::steady_clock::time_point start);

// The request that fills `plan` (its shape not None): its prompt as text and as ids,
// `options` with the plan's canvas length, and the settled test of its shape (one line: its
// line break; several: the end of the unit), which finish_completion's cut makes exact.
// Errors: options the engine refuses.
Expected<FillRequest> fill_request(Plan plan, engine::DecodeOptions options);

}  // namespace infilld::completion
