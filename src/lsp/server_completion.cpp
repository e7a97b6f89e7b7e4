// Inline completion requests, from arrival to their one reply (see server.h):
//
//   arrive -> parse, find the document, the cursor's byte offset
//          -> supersede the document's older request (RequestCancelled)
//          -> cache (exact, typed through) -> reply at once
//          -> a running speculative request for this very context -> adopt it
//          -> model loading: wait; failed: RequestFailed
//          -> debounce (automatic requests) -> start_engine: plan, submit
//   engine done -> post-process -> cache -> reply -> maybe a speculative request
//
// The states and their transitions are CompletionRequest's (completion_request.h); every
// reply goes through reply_completion(), the reply-once gate. Loop thread only.
#include <algorithm>

#include "completion/backend.h"
#include "completion/plan.h"
#include "lsp/protocol.h"
#include "lsp/server.h"

namespace infilld::lsp {

using completion::finish_completion;
using completion::plan_completion;
using completion::PlanInput;
using completion::printable_prefix;

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// A document too large for a whole-file syntax tree (workspace.h) is planned from the text
// around the cursor: the last 1 MiB before it and the first 256 KiB after it, cut at line
// boundaries (more than any prompt budget reads), and post-processed against the last
// 64 KiB and first 16 KiB, without the syntax check (a window cut at arbitrary lines rarely
// parses cleanly, and each try would parse it whole). The plan's and the post-processing's
// costs then do not grow with the file; the request still copies the text around the cursor
// once, as for any document.
struct Window {
  size_t before, after;
};
constexpr Window kPlanWindow{size_t{1} << 20, size_t{256} << 10};
constexpr Window kPostWindow{size_t{64} << 10, size_t{16} << 10};

bool large(const CompletionRequest& c) {
  return c.prefix.size() + c.suffix.size() > OpenDocument::kWholeTreeBytes;
}

bool utf8_tail(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The last `bytes` of `s` from a line start (or, in a line longer than that, a character start).
std::string_view window_before(std::string_view s, size_t bytes) {
  if (s.size() <= bytes) return s;
  size_t from = s.size() - bytes;
  if (const size_t nl = s.find('\n', from); nl != std::string_view::npos) return s.substr(nl + 1);
  while (from < s.size() && utf8_tail(s[from])) ++from;
  return s.substr(from);
}

// The first `bytes` of `s` to a line end (or, in a line longer than that, a character start).
std::string_view window_after(std::string_view s, size_t bytes) {
  if (s.size() <= bytes) return s;
  if (const size_t nl = s.rfind('\n', bytes); nl != std::string_view::npos) return s.substr(0, nl + 1);
  size_t to = bytes;
  while (to > 0 && utf8_tail(s[to])) --to;
  return s.substr(0, to);
}

}  // namespace

int Server::engine_jobs() const {
  int n = 0;
  for (const auto& [serial, c] : completions_) n += c.in_engine();
  return n;
}

PendingCounts Server::pending_counts() const {
  using State = Completion::State;
  PendingCounts p;
  for (const auto& [serial, c] : completions_) {
    if (c.speculative()) {
      p.speculative += c.in_engine();
      continue;
    }
    switch (c.state()) {
      case State::Debouncing: ++p.debouncing; break;
      case State::WaitingForModel: ++p.waiting_for_model; break;
      case State::Running: ++p.running; break;
      case State::InHand:    // only within the loop callback that holds it
      case State::Answered:  // erased by the function that answered it
        break;
    }
  }
  return p;
}

Server::Completion& Server::store(Completion c) {
  const uint64_t serial = c.serial();
  return completions_.emplace(serial, std::move(c)).first->second;
}

void Server::reply_completion(Completion& c, json message) {
  if (c.answered()) send(message);
}

void Server::cancel_where(const std::function<bool(const Completion&)>& which, ErrorCode code, const std::string& why,
                          int64_t* counter) {
  std::vector<uint64_t> hit;
  for (const auto& [serial, c] : completions_)
    if (which(c)) hit.push_back(serial);
  for (uint64_t serial : hit) fail_completion(serial, code, why, counter);
  if (!hit.empty() && engine_jobs() == 0 && host_.state() == EngineHost::State::Ready) set_status("ready", "idle");
}

void Server::fail_completion(uint64_t serial, ErrorCode code, std::string message, int64_t* counter) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  Completion& c = it->second;
  c.cancel();  // the worker stops before its next step
  if (!c.speculative()) {
    if (counter != nullptr) ++*counter;
    reply_completion(c, make_error(c.id(), code, std::move(message)));
  }
  completions_.erase(it);
}

void Server::cancel_speculative() {
  cancel_where([](const Completion& c) { return c.speculative(); }, ErrorCode::RequestCancelled, "", nullptr);
}

void Server::request_completion(const Message& m, Completion::Kind kind) {
  auto params = read_completion_params(m.params);
  if (!params) return reply_error(m.id, ErrorCode::InvalidParams, params.message());
  OpenDocument* doc = workspace_.find(params->uri);
  if (doc == nullptr)
    return reply_error(m.id, ErrorCode::InvalidParams,
                       "unknown document " + params->uri + " (send textDocument/didOpen first)");
  const context::LineIndex& lines = doc->document.line_index();
  auto offset = lines.offset_of(params->position, encoding_);
  if (!offset) return reply_error(m.id, ErrorCode::InvalidParams, "params.position: " + offset.message());
  size_t start = *offset, end = *offset;
  if (params->selected) {
    auto s = lines.offset_of(params->selected->range.start, encoding_);
    auto e = lines.offset_of(params->selected->range.end, encoding_);
    if (!s || !e || *e < *s)
      return reply_error(m.id, ErrorCode::InvalidParams,
                         "params.context.selectedCompletionInfo.range: not a range of the document");
    start = *s;
    end = *e;
  }

  // From here on the request is a record whose one reply goes through reply_completion().
  Completion c(next_serial_++, kind, m.id, stats_.reply_errors);
  c.uri = params->uri;
  c.version = doc->document.version();
  c.language = doc->language;
  // A character past its line's end clamps: the item's range says where it really is.
  const context::Position at = lines.position_of(*offset, encoding_);
  c.range = {at, at};
  // triggerKind 1 (Invoked) is explicit; textDocument/completion without context was asked for.
  c.explicit_request = params->trigger_kind ? *params->trigger_kind == 1
                                            : kind == Completion::Kind::Completion && !params->has_context;
  if (params->selected) {
    c.range = params->selected->range;
    c.selected = std::move(params->selected->text);
    c.use_tree = false;
  }
  const std::string& text = doc->document.text();
  c.prefix = text.substr(0, start) + c.selected;
  c.suffix = text.substr(end);
  ++stats_.requests;

  // The latest request for a document wins.
  const std::string& u = c.uri;
  cancel_where([&](const Completion& o) { return !o.speculative() && o.uri == u; }, ErrorCode::RequestCancelled,
               "superseded by a newer request for the document", &stats_.superseded);

  // Over maxDocumentBytes: not completed (an empty answer, as where nothing fits).
  if (doc->too_large) return answer(store(std::move(c)), "");

  if (auto hit = cache_.lookup(c.prefix, c.suffix)) {
    ++(hit->typed > 0 ? stats_.typed_through_hits : stats_.cache_hits);
    return answer(store(std::move(c)), hit->suggestion);
  }
  // A speculative request computing exactly this context: it becomes this request.
  for (auto& [serial, o] : completions_)
    if (o.speculative() && o.prefix == c.prefix && o.suffix == c.suffix) {
      ++stats_.speculative_used;
      return o.adopt(std::move(c));
    }

  Completion& stored = store(std::move(c));
  // A model folder that failed to load (e.g. half rewritten) and has changed since: load it
  // again, and this request waits for it.
  if (host_.state() == EngineHost::State::Failed && !host_.model_dir().empty() && host_.folder_changed()) {
    load_model();
    return stored.wait_for_model();
  }
  if (host_.state() == EngineHost::State::Failed)
    return fail_completion(stored.serial(), ErrorCode::RequestFailed, host_.failure(), &stats_.errors);
  if (host_.state() != EngineHost::State::Ready) return stored.wait_for_model();  // scheduled by on_model_loaded
  schedule_engine(stored.serial());
}

void Server::schedule_engine(uint64_t serial) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  Completion& c = it->second;
  if (c.state() == Completion::State::WaitingForModel) c.take();
  if (!c.explicit_request && !c.speculative() && settings_.debounce_ms > 0) {
    // Measured from the request's arrival: time spent waiting for the model counts.
    const double waited = ms_since(c.received);
    const double left = std::max(0.0, settings_.debounce_ms - waited);
    auto timer = std::make_unique<Timer>(loop_);
    timer->start(static_cast<uint64_t>(left), [this, serial] {
      auto fired = completions_.find(serial);
      if (fired == completions_.end()) return;
      fired->second.take();  // destroys this timer: nothing of it is used after
      start_engine(serial);
    });
    return c.debounce(std::move(timer));
  }
  start_engine(serial);
}

void Server::start_engine(uint64_t serial) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  Completion& c = it->second;
  // The model may have started loading again (a reload) since the request was scheduled,
  // e.g. while it was debounced: it waits for the load, or fails with it.
  if (host_.state() == EngineHost::State::Failed)
    return fail_completion(serial, ErrorCode::RequestFailed, host_.failure(), &stats_.errors);
  if (host_.state() != EngineHost::State::Ready) return c.wait_for_model();  // scheduled by on_model_loaded
  OpenDocument* doc = workspace_.find(c.uri);
  if (doc == nullptr)
    return fail_completion(serial, ErrorCode::ContentModified, "the document was closed", &stats_.errors);
  // The model's files changed on disk since they were loaded: this request fails naming the
  // file, and the folder is loaded again (loading, then ready; or failed while incomplete).
  if (Status s = host_.check_model(); !s) {
    fail_completion(serial, ErrorCode::RequestFailed, s.message(), &stats_.errors);
    return reload_changed_model();
  }
  const context::SyntaxTree* tree =
      c.use_tree && doc->document.version() == c.version ? workspace_.tree(*doc) : nullptr;
  const std::string_view before = large(c) ? window_before(c.prefix, kPlanWindow.before) : std::string_view(c.prefix);
  const std::string_view after = large(c) ? window_after(c.suffix, kPlanWindow.after) : std::string_view(c.suffix);
  const std::string full = std::string(before).append(after);
  const completion::ModelFacts& model = host_.facts();
  const engine::DecodeOptions options = completion::request_options(settings_, model.defaults, c.received);
  PlanInput in{.text = full,
               .cursor = before.size(),
               .tree = tree,
               .language = c.language,
               .path = c.uri,
               .explicit_request = c.explicit_request,
               .model = &model,
               .max_length = options.max_length,
               .prompt = {.budget = settings_.budget,
                          .prefix_share = settings_.prefix_share,
                          .snippet_share = settings_.snippet_share},
               .max_tokens = settings_.max_tokens,
               .ring = &workspace_.ring(c.uri),
               .definitions = &workspace_.definitions(c.uri)};
  auto plan = plan_completion(in);
  if (!plan) return fail_completion(serial, ErrorCode::RequestFailed, plan.message(), &stats_.errors);
  c.shape = plan->shape.kind;
  c.canvas = plan->max_tokens;
  if (plan->shape.kind == context::ShapeKind::None) {
    cache_.insert(c.prefix, c.suffix, "");
    if (c.speculative()) return (void)completions_.erase(serial);
    return answer(c, "");
  }
  // A real request goes before any speculation.
  if (!c.speculative()) cancel_speculative();
  it = completions_.find(serial);
  Completion& d = it->second;

  auto request = completion::fill_request(std::move(*plan), options);
  if (!request)
    return fail_completion(serial, ErrorCode::RequestFailed, "decoding settings: " + request.message(), &stats_.errors);
  EngineHost::Update update;
  if (settings_.streaming)
    update = [this, serial](std::string middle) { on_engine_update(serial, std::move(middle)); };
  d.run(host_.submit(
      std::move(*request),
      [this, serial](Expected<completion::FillResult> r) { on_engine_done(serial, std::move(r)); },
      std::move(update)));
  set_status("busy", "completing");
}

void Server::on_engine_update(uint64_t serial, std::string middle) {
  auto it = completions_.find(serial);
  if (it == completions_.end() || it->second.speculative()) return;
  Completion& c = it->second;
  // The final part grows left to right, so the first line is final first. A character split
  // across tokens waits for its last byte: each update extends the one before.
  const std::string_view text = printable_prefix(middle);
  if (text.size() <= c.streamed.size() || text.substr(0, c.streamed.size()) != c.streamed) return;
  c.streamed = std::string(text);
  notify("infilld/completionUpdate", {{"id", c.id()}, {"uri", c.uri}, {"text", c.selected + c.streamed}});
}

void Server::on_engine_done(uint64_t serial, Expected<completion::FillResult> result) {
  auto it = completions_.find(serial);
  // A run whose request was answered meanwhile counts in the totals, not as `last`.
  if (result)
    stats_.record_run({.forwards = result->stats.forwards,
                       .positions = result->stats.positions,
                       .canvas = it == completions_.end() ? 0 : it->second.canvas,
                       .tokens = static_cast<int64_t>(result->tokens.size())},
                      it != completions_.end());
  if (it == completions_.end()) {  // answered already (cancelled, superseded)
    if (engine_jobs() == 0) set_status("ready", "idle");
    return;
  }
  Completion& c = it->second;
  c.finish_run();
  if (engine_jobs() == 0) set_status("ready", "idle");
  if (!result) {
    fail_completion(serial, ErrorCode::RequestFailed, result.message(), &stats_.errors);
    if (!host_.check_model()) reload_changed_model();
    return;
  }
  if (result->finish == engine::FinishReason::Cancelled)
    return fail_completion(serial, ErrorCode::RequestCancelled, "cancelled", &stats_.errors);
  const std::string suggestion =
      large(c) ? finish_completion(result->text, window_before(c.prefix, kPostWindow.before),
                                   window_after(c.suffix, kPostWindow.after), c.shape, nullptr)
               : finish_completion(result->text, c.prefix, c.suffix, c.shape, c.language);
  cache_.insert(c.prefix, c.suffix, suggestion);
  if (c.speculative()) {  // kept in the cache for when the user accepts
    completions_.erase(serial);
    return;
  }
  if (trace_ != "off")
    notify("$/logTrace", {{"message", "completion " + c.id().dump() + ": " + std::to_string(result->stats.forwards) +
                                          " forwards, " + std::to_string(result->stats.positions) + " positions, " +
                                          std::to_string(int(ms_since(c.received))) + " ms, finish " +
                                          std::string(engine::finish_reason_name(result->finish))}});
  answer(c, suggestion);
}

nlohmann::json Server::make_items(const Completion& c, const std::string& suggestion) {
  const std::string insert = c.selected + suggestion;
  const std::string item_id = "c" + std::to_string(c.serial());
  const json command = {{"title", "Accept"}, {"command", "infilld.accept"}, {"arguments", {{{"id", item_id}}}}};
  if (c.kind() == Completion::Kind::Completion) {
    json item = {{"label", first_line(insert).empty() ? insert : first_line(insert)},
                 {"kind", 1},
                 {"insertText", insert},
                 {"filterText", insert},
                 {"textEdit", {{"range", to_json(c.range)}, {"newText", insert}}},
                 {"command", command}};
    return {{"isIncomplete", true}, {"items", suggestion.empty() ? json::array() : json::array({item})}};
  }
  if (suggestion.empty()) return {{"items", json::array()}};
  json item = {{"insertText", insert}, {"range", to_json(c.range)}, {"command", command}};
  return {{"items", json::array({item})}};
}

void Server::answer(Completion& c, const std::string& suggestion) {
  ++(suggestion.empty() ? stats_.empty : stats_.completed);
  stats_.record_latency(ms_since(c.received));
  reply_completion(c, make_response(c.id(), make_items(c, suggestion)));
  // The document's text once accepted (the selected text is part of the prefix already).
  if (!suggestion.empty())
    acceptance_.given("c" + std::to_string(c.serial()), c.uri, c.prefix + suggestion + c.suffix);
  const Completion answered = std::move(c);
  completions_.erase(answered.serial());
  if (!suggestion.empty()) maybe_speculate(answered, suggestion);
}

void Server::maybe_speculate(const Completion& answered, const std::string& suggestion) {
  if (!settings_.speculative || settings_.cache_size == 0 || host_.state() != EngineHost::State::Ready) return;
  if (engine_jobs() > 0) return;  // only when the engine is idle
  const std::string prefix = answered.prefix + suggestion;
  if (cache_.lookup(prefix, answered.suffix)) return;  // known already
  Completion s(next_serial_++, Completion::Kind::Speculative, nullptr, stats_.reply_errors);
  s.uri = answered.uri;
  s.version = answered.version;
  s.language = answered.language;
  s.prefix = prefix;
  s.suffix = answered.suffix;
  s.explicit_request = answered.explicit_request;
  s.use_tree = false;
  // Where the cursor will be once the suggestion is inserted.
  s.range = answered.range;
  const uint64_t serial = store(std::move(s)).serial();
  ++stats_.speculative;
  start_engine(serial);
}

}  // namespace infilld::lsp
