#include "lsp/engine_host.h"

#include "engine/backend.h"

namespace infilld::lsp {

EngineHost::~EngineHost() { shutdown(); }

void EngineHost::shutdown() {
  worker_.reset();  // cancels the queue, finishes the running step, joins
  denoisable_.reset();
  model_.reset();
  if (loader_.joinable()) loader_.join();
  ++generation_;  // whatever the loader posted is stale now
}

void EngineHost::fail(std::string why) {
  shutdown();
  state_ = State::Failed;
  failure_ = std::move(why);
}

void EngineHost::load(std::filesystem::path dir, std::string device, Progress progress, Loaded loaded) {
  shutdown();
  state_ = State::Loading;
  failure_.clear();
  dir_ = dir;
  const uint64_t generation = ++generation_;
  // The loader thread reads the checkpoint and warms the model up (one small forward, which
  // also creates the kernels' primitives) before handing it to the loop thread.
  loader_ = std::thread([this, dir = std::move(dir), device = std::move(device), generation, progress, loaded] {
    auto report = [&](int percent, std::string message) {
      mailbox_.post([this, generation, progress, percent, message = std::move(message)] {
        if (generation == generation_) progress(percent, message);
      });
    };
    struct Ready {
      std::unique_ptr<engine::Model> model;
      engine::Backend backend;
    };
    auto finish = [&](Expected<std::shared_ptr<Ready>> model) {
      mailbox_.post([this, generation, loaded, model = std::make_shared<decltype(model)>(std::move(model))]() mutable {
        if (generation != generation_) return;  // superseded by a newer load, or shut down
        if (loader_.joinable()) loader_.join();
        if (!*model) {
          state_ = State::Failed;
          failure_ = (*model).message();
          loaded(Status((*model).error()));
          return;
        }
        model_ = std::move((**model)->model);
        denoisable_ = std::move((**model)->backend.model);
        backend_ = (**model)->backend.description;
        const engine::Tokenizer* tok = model_->tokenizer();
        spec_ = engine::canvas_spec(model_->config(), tok ? tok->vocab_size() : 0);
        worker_ = std::make_unique<engine::EngineWorker>(*denoisable_, spec_);
        defaults_ = engine::family_defaults(model_->config(), model_->checkpoint().generation_config());
        state_ = State::Ready;
        loaded(Status::ok());
      });
    };
    auto chosen = engine::parse_device(device);
    if (!chosen) {
      finish(chosen.error());
      return;
    }
    report(0, "reading " + dir.string());
    auto model = engine::Model::load(dir);
    if (!model) {
      finish(error("cannot load the model from ", dir.string(), ": ", model.message()));
      return;
    }
    if (model->tokenizer() == nullptr) {
      finish(error("the model in ", dir.string(), " has no tokenizer files (tokenizer.json or vocab.json + merges.txt)"));
      return;
    }
    auto ready = std::make_shared<Ready>();
    ready->model = std::make_unique<engine::Model>(std::move(*model));
    report(60, "placing the model on device " + device);
    auto backend = engine::make_backend(*ready->model, *chosen);
    if (!backend) {
      finish(backend.error());
      return;
    }
    ready->backend = std::move(*backend);
    report(70, "warming up on " + ready->backend.description);
    std::vector<float> logits;
    const std::vector<int32_t> probe(8, 0);
    if (Status s = ready->backend.model->forward(probe, logits); !s) {
      finish(error("the model in ", dir.string(), " fails its first forward pass: ", s.message()));
      return;
    }
    report(100, "ready");
    finish(std::move(ready));
  });
}

std::shared_ptr<engine::EngineWorker::Ticket> EngineHost::submit(engine::InfillRequest request, Done done,
                                                                 Update update) {
  const uint64_t generation = generation_;
  if (update)
    request.on_update = [this, generation, update](std::span<const int32_t> tokens) {
      mailbox_.post([this, generation, update, t = std::vector<int32_t>(tokens.begin(), tokens.end())]() mutable {
        if (generation == generation_) update(std::move(t));
      });
    };
  return worker_->submit(std::move(request), [this, generation, done](Expected<engine::InfillResult> result) {
    mailbox_.post([this, generation, done, r = std::make_shared<Expected<engine::InfillResult>>(std::move(result))] {
      if (generation == generation_) done(std::move(*r));
    });
  });
}

}  // namespace infilld::lsp
