// Inline completion requests, from arrival to their one reply (see server.h):
//
//   arrive -> parse, find the document, the cursor's byte offset
//          -> supersede the document's older request (RequestCancelled)
//          -> cache (exact, typed through) -> reply at once
//          -> a running speculative request for this very context -> adopt it
//          -> model loading: wait; failed: RequestFailed
//          -> debounce (automatic requests) -> start_engine: plan, submit
//   engine done -> post-process -> cache -> reply -> maybe a speculative request
#include <algorithm>

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

}  // namespace

int Server::engine_jobs() const {
  int n = 0;
  for (const auto& [serial, c] : completions_) n += c.ticket != nullptr;
  return n;
}

PendingCounts Server::pending_counts() const {
  PendingCounts p;
  for (const auto& [serial, c] : completions_) {
    if (c.id.is_null()) {
      p.speculative += c.ticket != nullptr;
    } else if (c.ticket) {
      ++p.running;
    } else if (c.waiting_for_model) {
      ++p.waiting_for_model;
    } else if (c.debounce) {
      ++p.debouncing;
    }
  }
  return p;
}

void Server::cancel_where(const std::function<bool(const Completion&)>& which, ErrorCode code, const std::string& why,
                          int64_t* counter) {
  std::vector<uint64_t> hit;
  for (const auto& [serial, c] : completions_)
    if (which(c)) hit.push_back(serial);
  for (uint64_t serial : hit) {
    Completion& c = completions_.at(serial);
    if (c.ticket) c.ticket->cancel();
    if (!c.id.is_null()) {
      if (counter != nullptr) ++*counter;
      reply_error(c.id, code, why);
    }
    completions_.erase(serial);
  }
  if (!hit.empty() && engine_jobs() == 0 && host_.state() == EngineHost::State::Ready) set_status("ready", "idle");
}

void Server::fail_completion(uint64_t serial, ErrorCode code, std::string message) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  if (!it->second.id.is_null()) {
    ++stats_.errors;
    reply_error(it->second.id, code, std::move(message));
  }
  completions_.erase(it);
}

void Server::cancel_speculative() {
  cancel_where([](const Completion& c) { return c.id.is_null(); }, ErrorCode::RequestCancelled, "", nullptr);
}

void Server::request_completion(const Message& m, bool fallback) {
  const json& params = m.params;
  auto uri = read_document_uri(params);
  if (!uri) return reply_error(m.id, ErrorCode::InvalidParams, uri.message());
  auto position_json = member(params, "params", "position");
  if (!position_json) return reply_error(m.id, ErrorCode::InvalidParams, position_json.message());
  auto position = read_position(**position_json, "params.position");
  if (!position) return reply_error(m.id, ErrorCode::InvalidParams, position.message());
  OpenDocument* doc = workspace_.find(*uri);
  if (doc == nullptr)
    return reply_error(m.id, ErrorCode::InvalidParams, "unknown document " + *uri + " (send textDocument/didOpen first)");
  const context::LineIndex& lines = doc->document.line_index();
  auto offset = lines.offset_of(*position, encoding_);
  if (!offset) return reply_error(m.id, ErrorCode::InvalidParams, "params.position: " + offset.message());

  Completion c;
  c.id = m.id;
  c.fallback = fallback;
  c.uri = *uri;
  c.version = doc->document.version();
  c.language = doc->language;
  c.received = Clock::now();
  // A character past its line's end clamps: the item's range says where it really is.
  const context::Position at = lines.position_of(*offset, encoding_);
  c.range = {at, at};
  const std::string& text = doc->document.text();
  size_t start = *offset, end = *offset;
  // Context: triggerKind 1 (Invoked) is explicit; selectedCompletionInfo {range, text}.
  if (const json* context_json = optional_member(params, "context")) {
    if (const json* kind = optional_member(*context_json, "triggerKind")) {
      if (!kind->is_number_integer())
        return reply_error(m.id, ErrorCode::InvalidParams, "params.context.triggerKind: expected an integer");
      c.explicit_request = kind->get<int64_t>() == 1;
    }
    if (const json* selected = optional_member(*context_json, "selectedCompletionInfo")) {
      auto range_json = member(*selected, "params.context.selectedCompletionInfo", "range");
      auto range = range_json ? read_range(**range_json, "params.context.selectedCompletionInfo.range")
                              : Expected<context::Range>(range_json.error());
      auto selected_text = read_string(*selected, "params.context.selectedCompletionInfo", "text");
      if (!range) return reply_error(m.id, ErrorCode::InvalidParams, range.message());
      if (!selected_text) return reply_error(m.id, ErrorCode::InvalidParams, selected_text.message());
      auto s = lines.offset_of(range->start, encoding_);
      auto e = lines.offset_of(range->end, encoding_);
      if (!s || !e || *e < *s)
        return reply_error(m.id, ErrorCode::InvalidParams, "params.context.selectedCompletionInfo.range: not a range of the document");
      start = *s;
      end = *e;
      c.range = *range;
      c.selected = std::move(*selected_text);
      c.use_tree = false;
    }
  } else if (fallback) {
    c.explicit_request = true;  // textDocument/completion without context: asked for
  }
  c.prefix = text.substr(0, start) + c.selected;
  c.suffix = text.substr(end);
  ++stats_.requests;

  // The latest request for a document wins.
  const std::string& u = c.uri;
  cancel_where([&](const Completion& o) { return !o.id.is_null() && o.uri == u; }, ErrorCode::RequestCancelled,
               "superseded by a newer request for the document", &stats_.superseded);

  if (auto hit = cache_.lookup(c.prefix, c.suffix)) {
    ++(hit->typed > 0 ? stats_.typed_through_hits : stats_.cache_hits);
    c.serial = next_serial_++;
    auto& stored = completions_[c.serial] = std::move(c);
    return answer(stored, hit->suggestion);
  }
  // A speculative request computing exactly this context: adopt it.
  for (auto& [serial, o] : completions_)
    if (o.id.is_null() && o.prefix == c.prefix && o.suffix == c.suffix) {
      ++stats_.speculative_used;
      o.id = c.id;
      o.fallback = c.fallback;
      o.range = c.range;
      o.selected = c.selected;
      o.version = c.version;
      o.received = c.received;
      return;
    }

  if (host_.state() == EngineHost::State::Failed) {
    ++stats_.errors;
    return reply_error(c.id, ErrorCode::RequestFailed, host_.failure());
  }
  c.serial = next_serial_++;
  const uint64_t serial = c.serial;
  Completion& stored = completions_[serial] = std::move(c);
  if (host_.state() != EngineHost::State::Ready) {
    stored.waiting_for_model = true;  // scheduled by on_model_loaded
    return;
  }
  schedule_engine(serial);
}

void Server::schedule_engine(uint64_t serial) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  Completion& c = it->second;
  c.waiting_for_model = false;
  if (!c.explicit_request && !c.id.is_null() && settings_.debounce_ms > 0) {
    // Measured from the request's arrival: time spent waiting for the model counts.
    const double waited = ms_since(c.received);
    const double left = std::max(0.0, settings_.debounce_ms - waited);
    c.debounce = std::make_unique<Timer>(loop_);
    c.debounce->start(static_cast<uint64_t>(left), [this, serial] { start_engine(serial); });
    return;
  }
  start_engine(serial);
}

void Server::start_engine(uint64_t serial) {
  auto it = completions_.find(serial);
  if (it == completions_.end()) return;
  Completion& c = it->second;
  c.waiting_for_model = false;
  OpenDocument* doc = workspace_.find(c.uri);
  if (doc == nullptr) return fail_completion(serial, ErrorCode::ContentModified, "the document was closed");
  const bool tree_matches = c.use_tree && doc->document.version() == c.version && doc->tree.has_value();
  const std::string full = c.prefix + c.suffix;
  PlanInput in{.text = full,
               .cursor = c.prefix.size(),
               .tree = tree_matches ? &*doc->tree : nullptr,
               .language = c.language,
               .path = c.uri,
               .explicit_request = c.explicit_request,
               .tokenizer = host_.tokenizer(),
               .max_positions = host_.model().config().max_positions,
               .canvas = &host_.canvas_spec(),
               .max_length = settings_.max_length.value_or(host_.family_defaults().max_length),
               .prompt = {.budget = settings_.budget,
                          .prefix_share = settings_.prefix_share,
                          .snippet_share = settings_.snippet_share},
               .max_tokens = settings_.max_tokens,
               .ring = &workspace_.ring(c.uri),
               .definitions = &workspace_.definitions(c.uri)};
  auto plan = plan_completion(in);
  if (!plan) return fail_completion(serial, ErrorCode::RequestFailed, plan.message());
  c.shape = plan->shape.kind;
  c.canvas = plan->max_tokens;
  if (plan->shape.kind == context::ShapeKind::None) {
    cache_.insert(c.prefix, c.suffix, "");
    if (c.id.is_null()) return (void)completions_.erase(serial);
    return answer(c, "");
  }
  // A real request goes before any speculation.
  if (!c.id.is_null()) cancel_speculative();
  it = completions_.find(serial);
  Completion& d = it->second;

  engine::InfillRequest request;
  request.prefix = std::move(plan->prefix_ids);
  request.suffix = std::move(plan->suffix_ids);
  request.options = decode_options(settings_, host_.family_defaults());
  request.options.max_tokens = plan->max_tokens;
  if (settings_.deadline_ms > 0)
    request.options.deadline = d.received + std::chrono::milliseconds(settings_.deadline_ms);
  if (Status s = engine::validate(request.options); !s)
    return fail_completion(serial, ErrorCode::RequestFailed, "decoding settings: " + s.message());
  EngineHost::Update update;
  if (settings_.streaming)
    update = [this, serial](std::vector<int32_t> tokens) { on_engine_update(serial, std::move(tokens)); };
  d.ticket = host_.submit(
      std::move(request), [this, serial](Expected<engine::InfillResult> r) { on_engine_done(serial, std::move(r)); },
      std::move(update));
  set_status("busy", "completing");
}

void Server::on_engine_update(uint64_t serial, std::vector<int32_t> tokens) {
  auto it = completions_.find(serial);
  if (it == completions_.end() || it->second.id.is_null()) return;
  Completion& c = it->second;
  auto decoded = host_.tokenizer()->decode(tokens);
  if (!decoded) return;
  // The final part grows left to right, so the first line is final first. A character split
  // across tokens waits for its last byte: each update extends the one before.
  const std::string_view text = printable_prefix(*decoded);
  if (text.size() <= c.streamed.size() || text.substr(0, c.streamed.size()) != c.streamed) return;
  c.streamed = std::string(text);
  notify("infilld/completionUpdate", {{"id", c.id}, {"uri", c.uri}, {"text", c.selected + c.streamed}});
}

void Server::on_engine_done(uint64_t serial, Expected<engine::InfillResult> result) {
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
  c.ticket.reset();
  if (engine_jobs() == 0) set_status("ready", "idle");
  if (!result) return fail_completion(serial, ErrorCode::RequestFailed, result.message());
  if (result->finish == engine::FinishReason::Cancelled)
    return fail_completion(serial, ErrorCode::RequestCancelled, "cancelled");
  auto suggestion = finish_completion(*host_.tokenizer(), result->tokens, c.prefix, c.suffix, c.shape, c.language);
  if (!suggestion) return fail_completion(serial, ErrorCode::RequestFailed, suggestion.message());
  cache_.insert(c.prefix, c.suffix, *suggestion);
  if (c.id.is_null()) {  // speculative: kept in the cache for when the user accepts
    completions_.erase(serial);
    return;
  }
  if (trace_ != "off")
    notify("$/logTrace", {{"message", "completion " + c.id.dump() + ": " + std::to_string(result->stats.forwards) +
                                          " forwards, " + std::to_string(result->stats.positions) + " positions, " +
                                          std::to_string(int(ms_since(c.received))) + " ms, finish " +
                                          std::string(engine::finish_reason_name(result->finish))}});
  answer(c, *suggestion);
}

nlohmann::json Server::make_items(const Completion& c, const std::string& suggestion) {
  const std::string insert = c.selected + suggestion;
  const std::string item_id = "c" + std::to_string(c.serial);
  if (c.fallback) {
    json item = {{"label", first_line(insert).empty() ? insert : first_line(insert)},
                 {"kind", 1},
                 {"insertText", insert},
                 {"filterText", insert},
                 {"textEdit", {{"range", to_json(c.range)}, {"newText", insert}}},
                 {"command", {{"title", "Accept"}, {"command", "infilld.accept"}, {"arguments", {{{"id", item_id}}}}}}};
    return {{"isIncomplete", true}, {"items", suggestion.empty() ? json::array() : json::array({item})}};
  }
  if (suggestion.empty()) return {{"items", json::array()}};
  json item = {{"insertText", insert},
               {"range", to_json(c.range)},
               {"command", {{"title", "Accept"}, {"command", "infilld.accept"}, {"arguments", {{{"id", item_id}}}}}}};
  return {{"items", json::array({item})}};
}

void Server::answer(Completion& c, const std::string& suggestion) {
  ++(suggestion.empty() ? stats_.empty : stats_.completed);
  stats_.record_latency(ms_since(c.received));
  reply(c.id, make_items(c, suggestion));
  if (!suggestion.empty()) {
    // The document's text once accepted (the selected text is part of the prefix already).
    const std::string item_id = "c" + std::to_string(c.serial);
    shown_[c.uri] = {item_id, c.prefix + suggestion + c.suffix, false};
    items_[item_id] = false;
    item_order_.push_back(item_id);
    if (item_order_.size() > kRecentItems) {
      items_.erase(item_order_.front());
      item_order_.erase(item_order_.begin());
    }
  }
  const Completion answered = std::move(c);
  completions_.erase(answered.serial);
  if (!suggestion.empty()) maybe_speculate(answered, suggestion);
}

void Server::maybe_speculate(const Completion& answered, const std::string& suggestion) {
  if (!settings_.speculative || settings_.cache_size == 0 || host_.state() != EngineHost::State::Ready) return;
  if (engine_jobs() > 0) return;  // only when the engine is idle
  const std::string prefix = answered.prefix + suggestion;
  if (cache_.lookup(prefix, answered.suffix)) return;  // known already
  Completion s;
  s.serial = next_serial_++;
  s.uri = answered.uri;
  s.version = answered.version;
  s.language = answered.language;
  s.received = Clock::now();
  s.prefix = prefix;
  s.suffix = answered.suffix;
  s.explicit_request = answered.explicit_request;
  s.use_tree = false;
  // Where the cursor will be once the suggestion is inserted.
  s.range = answered.range;
  const uint64_t serial = s.serial;
  completions_[serial] = std::move(s);
  ++stats_.speculative;
  start_engine(serial);
}

}  // namespace infilld::lsp
