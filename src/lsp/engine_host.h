// The server's side of the engine: loads the model on a background thread (the loop keeps
// answering meanwhile), then owns it and its EngineWorker. Results come back to the loop
// thread through the Mailbox.
//
// Which thread may call what: everything here on the loop thread; the callbacks given to
// load() and submit() run on the loop thread too (posted through the mailbox).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "engine/denoise/denoiser.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/worker.h"
#include "lsp/mailbox.h"

namespace infilld::lsp {

class EngineHost {
 public:
  enum class State { None, Loading, Ready, Failed };
  using Progress = std::function<void(int percent, std::string message)>;
  using Loaded = std::function<void(Status)>;
  using Done = std::function<void(Expected<engine::InfillResult>)>;
  using Update = std::function<void(std::vector<int32_t> final_tokens)>;

  explicit EngineHost(Mailbox& mailbox) : mailbox_(mailbox) {}
  ~EngineHost();  // cancels queued work, joins the worker and the loader
  EngineHost(const EngineHost&) = delete;
  EngineHost& operator=(const EngineHost&) = delete;

  // Drops the current model (its queued work is cancelled) and loads `dir` for `device`
  // ("auto", "cpu", "cuda"). progress() reports stages with percentages; loaded() once.
  void load(std::filesystem::path dir, std::string device, Progress progress, Loaded loaded);
  // Marks the host failed without loading (no model configured).
  void fail(std::string why);

  State state() const { return state_; }
  const std::string& failure() const { return failure_; }
  // Where the loaded model runs: "cpu" or "cuda: <the GPU>" (empty before a load).
  const std::string& backend() const { return backend_; }
  const std::filesystem::path& model_dir() const { return dir_; }

  // Ready only:
  const engine::Model& model() const { return *model_; }
  const engine::Tokenizer* tokenizer() const { return model_->tokenizer(); }
  const engine::DecodeOptions& family_defaults() const { return defaults_; }
  const engine::CanvasSpec& canvas_spec() const { return spec_; }  // the model's canvas layout
  // Queues a request on the worker; done() (and update(), as the final part grows) run on
  // the loop thread. The ticket cancels it.
  std::shared_ptr<engine::EngineWorker::Ticket> submit(engine::InfillRequest request, Done done, Update update);

  void shutdown();  // stops the worker and the loader (they answer what they hold first)

 private:
  Mailbox& mailbox_;
  State state_ = State::None;
  std::string failure_;
  std::filesystem::path dir_;
  std::thread loader_;
  uint64_t generation_ = 0;  // a newer load() makes an older loader's result stale
  std::unique_ptr<engine::Model> model_;
  std::unique_ptr<engine::Denoisable> denoisable_;
  std::string backend_;  // where the model runs: "cpu" or "cuda: <the GPU>"
  std::unique_ptr<engine::EngineWorker> worker_;
  engine::DecodeOptions defaults_;
  engine::CanvasSpec spec_;
};

}  // namespace infilld::lsp
