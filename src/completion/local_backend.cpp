#include "completion/local_backend.h"

#include "engine/backend.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/worker.h"

namespace infilld::completion {

LocalBackend::LocalBackend() = default;
LocalBackend::~LocalBackend() = default;  // the worker first (declared last): it joins

Expected<std::unique_ptr<LocalBackend>> LocalBackend::load(const std::filesystem::path& dir, const Options& options) {
  auto report = [&](int percent, std::string message) {
    if (options.progress) options.progress(percent, std::move(message));
  };
  auto device = engine::parse_device(options.device);
  if (!device) return device.error();
  auto quantize = engine::parse_quantization(options.quantize);
  if (!quantize) return quantize.error();
  report(0, "reading " + dir.string());
  auto model = engine::Model::load(dir, {.quantize = *quantize, .attention = std::nullopt});
  if (!model) return error("cannot load the model from ", dir.string(), ": ", model.message());
  if (options.require_tokenizer && model->tokenizer() == nullptr)
    return error("the model in ", dir.string(), " has no tokenizer files (tokenizer.json or vocab.json + merges.txt)");

  std::unique_ptr<LocalBackend> b(new LocalBackend());
  b->model_ = std::make_unique<engine::Model>(std::move(*model));
  report(60, "placing the model on device " + options.device);
  auto placed = engine::make_backend(*b->model_, *device, &b->fallback_reason_);
  if (!placed) return placed.error();
  b->placed_ = std::make_unique<engine::Backend>(std::move(*placed));
  if (options.warm_up) {
    report(70, "warming up on " + b->placed_->description);
    engine::Logits logits;
    const std::vector<int32_t> probe(8, 0);
    if (Status s = b->placed_->model->forward(probe, logits); !s)
      return error("the model in ", dir.string(), " fails its first forward pass: ", s.message());
  }

  const engine::Model& m = *b->model_;
  const engine::Tokenizer* tokenizer = m.tokenizer();
  b->facts_ = {.tokenizer = tokenizer,
               .max_positions = m.config().max_positions,
               .canvas = engine::canvas_spec(m.config(), tokenizer ? tokenizer->vocab_size() : 0),
               .defaults = engine::family_defaults(m.config(), m.checkpoint().generation_config())};
  b->worker_ = std::make_unique<engine::EngineWorker>(*b->placed_->model, b->facts_.canvas);
  report(100, "ready");
  return b;
}

Status LocalBackend::check() const { return model_->checkpoint().check_files(); }

std::string LocalBackend::describe() const { return placed_->description; }

std::vector<uint64_t> LocalBackend::steps_by_batch_size() const { return worker_->steps_by_batch_size(); }

std::shared_ptr<Ticket> LocalBackend::submit(FillRequest request, Update on_update, Done done) {
  // The worker's callbacks decode on the worker thread (the tokenizer is read-only), so that
  // a front end gets text, as from any backend.
  const engine::Tokenizer* tokenizer = facts_.tokenizer;
  engine::InfillRequest infill;
  infill.prefix = std::move(request.prefix_ids);
  infill.suffix = std::move(request.suffix_ids);
  infill.options = std::move(request.options);
  if (on_update && tokenizer != nullptr)
    infill.on_update = [tokenizer, on_update = std::move(on_update)](std::span<const int32_t> final_tokens) {
      // A middle that does not decode (yet) is skipped: the next update extends it.
      if (auto text = tokenizer->decode(final_tokens)) on_update(std::move(*text));
    };
  if (request.settled && tokenizer != nullptr)
    infill.settled = [tokenizer, settled = std::move(request.settled)](std::span<const int32_t> final_tokens) {
      auto text = tokenizer->decode(final_tokens);
      return text && settled(*text);
    };
  auto ticket = worker_->submit(
      std::move(infill), [this, tokenizer, done = std::move(done)](Expected<engine::InfillResult> r) {
        // A weight file that changed during the run (a SIGBUS absorbed by the fault guard
        // reads zeros): the result means nothing.
        if (Status s = check(); !s) return done(error("the model changed on disk: ", s.message()));
        if (!r) return done(r.error());
        FillResult result;
        result.tokens = std::move(r->tokens);
        result.finish = r->finish;
        result.stats = r->stats;
        if (tokenizer != nullptr) {  // token-id requests to a model without tokenizer files: no text
          auto text = tokenizer->decode(result.tokens);
          if (!text) return done(text.error());
          result.text = std::move(*text);
        }
        done(std::move(result));
      });
  return std::make_shared<Ticket>([ticket = std::move(ticket)] { ticket->cancel(); });
}

}  // namespace infilld::completion
