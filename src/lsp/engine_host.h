// The server's side of the completion backend: loads the model on a background thread (the
// loop keeps answering meanwhile) as a completion::LocalBackend, or with a remote `backend`
// setting makes a completion::RemoteBackend that plans with the model folder's tokenizer,
// then owns it. Results come back to the loop thread through the Mailbox.
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
#include "completion/backend.h"
#include "lsp/mailbox.h"

namespace infilld::lsp {

class EngineHost {
 public:
  enum class State { None, Loading, Ready, Failed };
  using Progress = std::function<void(int percent, std::string message)>;
  using Loaded = std::function<void(Status)>;
  using Done = completion::CompletionBackend::Done;
  using Update = completion::CompletionBackend::Update;

  explicit EngineHost(Mailbox& mailbox) : mailbox_(mailbox) {}
  ~EngineHost();  // cancels queued work, joins the worker and the loader
  EngineHost(const EngineHost&) = delete;
  EngineHost& operator=(const EngineHost&) = delete;

  // Drops the current backend (its queued work is cancelled, its transfers aborted) and
  // loads `dir` as the settings say: here for `device` ("auto", "cpu", "cuda"), its weights
  // as stored or quantized ("none", "q8"), or, with a remote `backend`, only its tokenizer.
  // progress() reports stages with percentages; loaded() once.
  void load(std::filesystem::path dir, const completion::Settings& settings, Progress progress, Loaded loaded);
  // Marks the host failed without loading (no model configured).
  void fail(std::string why);

  State state() const { return state_; }
  const std::string& failure() const { return failure_; }
  // Where the loaded model runs: "cpu", "cuda: <the GPU>" or "remote: <kind> <url>" (empty
  // before a load).
  const std::string& description() const { return description_; }
  const std::filesystem::path& model_dir() const { return dir_; }
  // Whether the last load() was for `dir` with the same device, quantization and backend as
  // `settings` (so loading it again would change nothing).
  bool same_load(const std::filesystem::path& dir, const completion::Settings& settings) const;

  // Ready only:
  // The model's facts for the planner (tokenizer, positions, canvas layout, defaults).
  const completion::ModelFacts& facts() const { return backend_->facts(); }
  // Whether the loaded model's files are still the ones loaded (CompletionBackend::check).
  Status check_model() const { return backend_ ? backend_->check() : Status::ok(); }
  // Whether the model folder's files differ from when the last load started (names, sizes,
  // modification times): a failed load is worth trying again.
  bool folder_changed() const { return folder_stamp(dir_) != stamp_; }
  // Queues a request on the backend; done() (and update(), as the final part grows) run on
  // the loop thread. The ticket cancels it.
  std::shared_ptr<completion::Ticket> submit(completion::FillRequest request, Done done, Update update);

  void shutdown();  // stops the backend and the loader (they answer what they hold first)

 private:
  Mailbox& mailbox_;
  State state_ = State::None;
  std::string failure_;
  std::filesystem::path dir_;
  completion::Settings settings_;  // what the last load() was given
  std::thread loader_;
  uint64_t generation_ = 0;  // a newer load() makes an older loader's result stale
  std::unique_ptr<completion::CompletionBackend> backend_;
  std::string description_;  // backend_->describe() of the last model loaded
  std::string stamp_;        // folder_stamp(dir_) when the last load started

  static std::string folder_stamp(const std::filesystem::path& dir);
};

}  // namespace infilld::lsp
