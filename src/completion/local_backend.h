// The model loaded here as a CompletionBackend (completion/backend.h): a model folder read
// (engine::Model::load), placed on a device (engine::make_backend: the CPU, or a CUDA GPU)
// and run by its own engine worker (engine::EngineWorker, DESIGN.md section 3), which
// batches the requests it runs together (a new one joins at the next denoising step).
//
// Which thread may call what: load() on any thread (the language server loads on a thread
// of its own, the CLI on its main thread), and it may take seconds (reading, placing and
// warming the model up); its progress callback runs on that thread. The object it returns
// may then move to another thread; the rest is CompletionBackend's: submit() from any
// thread, the callbacks on the worker thread. Destroying it cancels what is queued, lets
// the running request stop before its next step (its done callback runs), and joins.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "completion/backend.h"

namespace infilld::engine {
class EngineWorker;
class Model;
struct Backend;
}  // namespace infilld::engine

namespace infilld::completion {

class LocalBackend final : public CompletionBackend {
 public:
  struct Options {
    std::string device = "auto";  // "auto", "cpu" or "cuda" (engine/backend.h)
    std::string quantize = "none";  // "none" or "q8" (engine/model.h)
    // The folder must hold tokenizer files (text prompts; only token-id requests do without).
    bool require_tokenizer = true;
    // One small forward before returning (it also creates the kernels' primitives), so that
    // the first request does not pay for it and a model that cannot run fails here.
    bool warm_up = false;
    // Stages with percentages (0 reading, 60 placing, 70 warming up, 100 ready), on the
    // thread that calls load().
    std::function<void(int percent, std::string message)> progress{};
  };

  // Errors a user can act on: an unknown device, a folder that is not a model (naming it),
  // no tokenizer files, a device that cannot take the model, a failing first forward.
  static Expected<std::unique_ptr<LocalBackend>> load(const std::filesystem::path& dir, const Options& options);

  ~LocalBackend() override;
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  std::string describe() const override;  // "cpu" or "cuda: <the GPU>"
  const ModelFacts& facts() const override { return facts_; }
  std::shared_ptr<Ticket> submit(FillRequest request, Update on_update, Done done) override;
  // The checkpoint's weight files (engine::Checkpoint::check_files). A run during which a
  // file changed ends with that error instead of its (meaningless) middle.
  Status check() const override;
  std::vector<uint64_t> steps_by_batch_size() const override;

  // Why device "auto" runs on the CPU (no GPU, a GPU too small...); empty otherwise.
  const std::string& fallback_reason() const { return fallback_reason_; }

 private:
  LocalBackend();

  std::unique_ptr<engine::Model> model_;
  std::unique_ptr<engine::Backend> placed_;  // the model on its device
  std::string fallback_reason_;
  ModelFacts facts_;
  std::unique_ptr<engine::EngineWorker> worker_;  // last: stops before what it uses goes
};

}  // namespace infilld::completion
