#include "lsp/engine_host.h"

#include "completion/local_backend.h"
#include "completion/remote_backend.h"

namespace infilld::lsp {

EngineHost::~EngineHost() { shutdown(); }

void EngineHost::shutdown() {
  backend_.reset();  // cancels the queue (the server has cancelled what runs), joins
  if (loader_.joinable()) loader_.join();
  ++generation_;  // whatever the loader posted is stale now
}

std::string EngineHost::folder_stamp(const std::filesystem::path& dir) {
  std::string stamp;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code e;
    const auto size = entry.is_regular_file(e) ? entry.file_size(e) : 0;
    const auto time = entry.last_write_time(e).time_since_epoch().count();
    stamp += entry.path().filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time) + "\n";
  }
  return stamp;  // (directory order is stable for an unchanged folder)
}

void EngineHost::fail(std::string why) {
  shutdown();
  state_ = State::Failed;
  failure_ = std::move(why);
}

namespace {

// The backend the settings ask for: the model here, or a remote one planning with `dir`'s
// tokenizer.
Expected<std::unique_ptr<completion::CompletionBackend>> make_backend(const std::filesystem::path& dir,
                                                                      const completion::Settings& settings,
                                                                      const std::function<void(int, std::string)>& report) {
  const completion::BackendSettings& b = settings.backend;
  if (b.remote()) {
    auto remote = completion::RemoteBackend::make({.kind = b.kind, .url = b.url, .model = b.model,
                                                   .api_key_env = b.api_key_env, .timeout_ms = b.timeout_ms,
                                                   .ca_file = b.ca_file, .headers = b.headers, .tokenizer_dir = dir});
    if (!remote) return remote.error();
    report(100, "remote " + b.kind + " " + b.url);
    return std::unique_ptr<completion::CompletionBackend>(std::move(*remote));
  }
  auto local = completion::LocalBackend::load(
      dir, {.device = settings.device, .quantize = settings.quantize, .warm_up = true, .progress = report});
  if (!local) return local.error();
  return std::unique_ptr<completion::CompletionBackend>(std::move(*local));
}

}  // namespace

void EngineHost::load(std::filesystem::path dir, const completion::Settings& settings, Progress progress,
                      Loaded loaded) {
  shutdown();
  state_ = State::Loading;
  failure_.clear();
  dir_ = dir;
  settings_ = settings;
  stamp_ = folder_stamp(dir_);
  const uint64_t generation = ++generation_;
  // The loader thread reads the checkpoint, places it and warms it up before handing it to
  // the loop thread.
  loader_ = std::thread([this, dir = std::move(dir), settings, generation, progress, loaded] {
    auto report = [&](int percent, std::string message) {
      mailbox_.post([this, generation, progress, percent, message = std::move(message)] {
        if (generation == generation_) progress(percent, message);
      });
    };
    auto backend = make_backend(dir, settings, report);
    mailbox_.post([this, generation, loaded, backend = std::make_shared<decltype(backend)>(std::move(backend))] {
      if (generation != generation_) return;  // superseded by a newer load, or shut down
      if (loader_.joinable()) loader_.join();
      if (!*backend) {
        state_ = State::Failed;
        failure_ = backend->message();
        loaded(Status(backend->error()));
        return;
      }
      backend_ = std::move(**backend);
      description_ = backend_->describe();
      state_ = State::Ready;
      loaded(Status::ok());
    });
  });
}

bool EngineHost::same_load(const std::filesystem::path& dir, const completion::Settings& settings) const {
  return dir == dir_ && settings.device == settings_.device && settings.quantize == settings_.quantize &&
         settings.backend == settings_.backend;
}

std::shared_ptr<completion::Ticket> EngineHost::submit(completion::FillRequest request, Done done, Update update) {
  const uint64_t generation = generation_;
  Update posted_update;
  if (update)
    posted_update = [this, generation, update](std::string middle) {
      mailbox_.post([this, generation, update, middle = std::move(middle)]() mutable {
        if (generation == generation_) update(std::move(middle));
      });
    };
  return backend_->submit(std::move(request), std::move(posted_update),
                          [this, generation, done](Expected<completion::FillResult> result) {
                            mailbox_.post([this, generation, done,
                                           r = std::make_shared<Expected<completion::FillResult>>(std::move(result))] {
                              if (generation == generation_) done(std::move(*r));
                            });
                          });
}

}  // namespace infilld::lsp
