#include "lsp/server.h"

#include <cstdio>
#include <exception>
#include <vector>

#include "lsp/protocol.h"

namespace infilld::lsp {

namespace {

constexpr const char* kAcceptCommand = "infilld.accept";
constexpr const char* kProgressToken = "infilld/load";
enum MessageType { kError = 1, kWarning = 2, kInfo = 3, kLog = 4 };

}  // namespace

Server::Server(uv_loop_t* loop, Transport& transport, ServerOptions options)
    : loop_(loop),
      transport_(transport),
      options_(std::move(options)),
      settings_(options_.settings),
      mailbox_(loop),
      host_(mailbox_),
      cache_(static_cast<size_t>(settings_.cache_size)),
      model_watch_(loop),
      model_quiet_(loop) {}

Server::~Server() { stop(); }

void Server::start() {
  transport_.start([this](Expected<std::string> body) { on_body(std::move(body)); }, [this] { on_disconnect(); });
}

// ---------------------------------------------------------------------------------------
// Transport and dispatch

void Server::send(const json& message) {
  if (stopped_) return;
  // Notifications may be dropped for a client that does not read (outbox.h); replies and
  // our requests never are.
  const bool notification = message.contains("method") && !message.contains("id");
  transport_.send(message.dump(-1, ' ', false, json::error_handler_t::replace),
                  notification ? Outbox::Kind::Notification : Outbox::Kind::Reply);
}

void Server::reply(const json& id, json result) { send(make_response(id, std::move(result))); }

void Server::reply_error(const json& id, ErrorCode code, std::string message) {
  send(make_error(id, code, std::move(message)));
}

void Server::notify(std::string method, json params) { send(make_notification(std::move(method), std::move(params))); }

void Server::log_message(int type, std::string text) {
  std::fprintf(stderr, "infilld: %s\n", text.c_str());
  if (initialized_) notify("window/logMessage", {{"type", type}, {"message", std::move(text)}});
}

void Server::show_message(int type, std::string text) {
  std::fprintf(stderr, "infilld: %s\n", text.c_str());
  notify("window/showMessage", {{"type", type}, {"message", std::move(text)}});
}

void Server::set_status(std::string state, std::string message) {
  if (state == status_state_ && state != "error") return;
  status_state_ = state;
  const char* kind = state == "error" ? "Error" : "Normal";
  notify("didChangeStatus",
         {{"kind", kind}, {"busy", state == "busy" || state == "loading"}, {"message", std::move(message)}, {"state", state}});
}

void Server::on_body(Expected<std::string> body) {
  if (stopped_) return;
  if (!body) {  // a malformed frame: nothing to answer (no id could be read), the reader resynchronised
    log_message(kError, "dropped a malformed message: " + body.message());
    return;
  }
  ParseResult parsed = parse_message(*body);
  if (const auto* e = std::get_if<RpcError>(&parsed)) {
    send(make_error(*e));
    return;
  }
  const Message& m = std::get<Message>(parsed);
  // Handlers check every field they read; this is the net under them: a bug in one must
  // cost one request (answered InternalError), never the server.
  try {
    switch (m.kind) {
      case Message::Request: on_request(m); break;
      case Message::Notification: on_notification(m); break;
      case Message::Response:
        // Our requests to the client (window/workDoneProgress/create) need nothing back.
        if (m.error) log_message(kLog, "the client answered our request " + m.id.dump() + " with an error: " + m.error->dump());
        break;
    }
  } catch (const std::exception& e) {
    log_message(kError, "internal error handling " + m.method + ": " + e.what());
    if (m.kind == Message::Request) reply_error(m.id, ErrorCode::InternalError, std::string("internal error: ") + e.what());
  }
}

void Server::on_request(const Message& m) {
  if (m.method == "initialize") {
    if (initialized_) return reply_error(m.id, ErrorCode::InvalidRequest, "initialize was already received");
    auto result = initialize(m.params);
    if (!result) return reply_error(m.id, ErrorCode::InvalidParams, result.message());
    reply(m.id, std::move(*result));
    initialized_ = true;
    load_model();
    return;
  }
  if (!initialized_) return reply_error(m.id, ErrorCode::ServerNotInitialized, m.method + " before initialize");
  if (shutdown_) return reply_error(m.id, ErrorCode::InvalidRequest, m.method + " after shutdown");
  if (m.method == "shutdown") {
    shutdown_ = true;
    cancel_where([](const Completion&) { return true; }, ErrorCode::RequestCancelled, "the server is shutting down",
                 &stats_.cancelled);
    host_.shutdown();
    return reply(m.id, nullptr);
  }
  if (m.method == "textDocument/inlineCompletion") return request_completion(m, Completion::Kind::Inline);
  if (m.method == "textDocument/completion") return request_completion(m, Completion::Kind::Completion);
  if (m.method == "infilld/stats") {
    nlohmann::json stats = stats_.to_json(pending_counts());
    stats["device"] = host_.description();  // where the model runs; empty until one is loaded
    stats["settings"] = completion::settings_json(settings_);  // every key's value now
    const Outbox& out = transport_.outbox();
    stats["outgoing"] = {{"queuedBytes", out.queued_bytes()},
                         {"droppedNotifications", out.dropped_notifications()},
                         {"readPauses", transport_.read_pauses()}};
    return reply(m.id, stats);
  }
  if (m.method == "infilld/test/documentText" && options_.test_requests) {
    auto uri = read_string(m.params, "params", "uri");
    if (!uri) return reply_error(m.id, ErrorCode::InvalidParams, uri.message());
    const OpenDocument* doc = workspace_.find(*uri);
    if (doc == nullptr) return reply_error(m.id, ErrorCode::InvalidParams, "unknown document " + *uri);
    return reply(m.id, {{"version", doc->document.version()}, {"text", doc->document.text()}});
  }
  if (m.method == "workspace/executeCommand") {
    auto result = execute_command(m.params);
    if (!result) return reply_error(m.id, ErrorCode::InvalidParams, result.message());
    return reply(m.id, std::move(*result));
  }
  reply_error(m.id, ErrorCode::MethodNotFound, "unknown method " + m.method);
}

void Server::on_notification(const Message& m) {
  if (m.method == "exit") return stop();
  if (!initialized_ || shutdown_) return;  // dropped (the spec: notifications before initialize)
  if (m.method == "initialized") return;
  if (m.method == "textDocument/didOpen") return did_open(m.params);
  if (m.method == "textDocument/didChange") return did_change(m.params);
  if (m.method == "textDocument/didClose") return did_close(m.params);
  if (m.method == "textDocument/didSave") return;  // the text arrived with didChange
  if (m.method == "$/cancelRequest") {
    const json* id = optional_member(m.params, "id");
    if (id == nullptr) return log_message(kError, "$/cancelRequest without an id");
    return cancel_where([&](const Completion& c) { return !c.speculative() && c.id() == *id; },
                        ErrorCode::RequestCancelled, "cancelled by the client", &stats_.cancelled);
  }
  if (m.method == "$/setTrace") {
    const json* value = optional_member(m.params, "value");
    if (value != nullptr && value->is_string()) trace_ = value->get<std::string>();
    return;
  }
  if (m.method == "workspace/didChangeConfiguration") {
    const json* settings = optional_member(m.params, "settings");
    if (settings == nullptr) return;
    const json* ours = optional_member(*settings, "infilld");
    return apply_settings_from(ours != nullptr ? *ours : *settings, false);
  }
  if (m.method == "textDocument/didShowCompletion") return count_item_event(m.params, stats_.shown);
  if (m.method == "textDocument/didPartiallyAcceptCompletion") return count_item_event(m.params, stats_.partially_accepted);
  // Other notifications (including "$/..." ones) are ignored, as the spec allows.
}

void Server::on_disconnect() { stop(); }

void Server::stop() {
  if (stopped_) return;
  cancel_where([](const Completion&) { return true; }, ErrorCode::RequestCancelled, "the server is stopping",
               &stats_.cancelled);
  stopped_ = true;
  completions_.clear();
  model_watch_.stop();
  model_quiet_.stop();
  host_.shutdown();
  mailbox_.close();
  transport_.close();
}

// ---------------------------------------------------------------------------------------
// Lifecycle and settings

Expected<json> Server::initialize(const json& params) {
  if (!params.is_null() && !params.is_object()) return error("params: expected an object");
  const json* capabilities = optional_member(params, "capabilities");
  if (capabilities != nullptr) {
    encoding_ = negotiate_position_encoding(*capabilities);
    if (const json* window = optional_member(*capabilities, "window"))
      if (const json* progress = optional_member(*window, "workDoneProgress"))
        client_progress_ = progress->is_boolean() && progress->get<bool>();
  }
  if (const json* trace = optional_member(params, "trace"); trace != nullptr && trace->is_string())
    trace_ = trace->get<std::string>();
  json result = {
      {"capabilities",
       {{"positionEncoding", position_encoding_name(encoding_)},
        {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
        {"inlineCompletionProvider", json::object()},
        {"completionProvider", {{"resolveProvider", false}}},
        {"executeCommandProvider", {{"commands", {kAcceptCommand}}}}}},
      {"serverInfo", {{"name", "infilld"}, {"version", INFILLD_VERSION}}}};
  // Settings are reported once the client has the answer (notifications before it would
  // break clients that wait for the result first).
  if (const json* init = optional_member(params, "initializationOptions")) {
    const json copy = *init;
    mailbox_.post([this, copy] { apply_settings_from(copy, true); });
  }
  return result;
}

void Server::apply_settings_from(const json& object, bool at_initialize) {
  const Settings before = settings_;
  SettingsReport report = apply_settings(settings_, object);
  for (const std::string& w : report.warnings) log_message(kWarning, w);
  for (const std::string& e : report.errors) show_message(kError, e);
  if (std::vector<std::string> changes = completion::describe_changes(before, settings_); !changes.empty()) {
    std::string text = "settings changed:";
    for (const std::string& c : changes) text += (text.back() == ':' ? " " : ", ") + c;
    log_message(kLog, std::move(text));
  }
  if (settings_.cache_size != before.cache_size) cache_.set_capacity(static_cast<size_t>(settings_.cache_size));
  workspace_.set_max_document_bytes(static_cast<size_t>(settings_.max_document_bytes));
  // Suggestions depend on the prompt and decoding settings: start the cache afresh.
  cache_.clear();
  if (settings_.model != before.model || settings_.device != before.device || settings_.quantize != before.quantize ||
      (settings_.backend != before.backend && (settings_.backend.remote() || before.backend.remote()))) {
    if (at_initialize && host_.state() == EngineHost::State::None) return;  // load_model() reads them
    cancel_where([](const Completion& c) { return c.in_engine(); }, ErrorCode::ServerCancelled,
                 "the model is being reloaded", &stats_.cancelled);
    load_model();
  }
}

void Server::load_model() {
  // initializationOptions are applied just after the initialize reply (see initialize());
  // the load starts after them so that their model folder is the one loaded.
  mailbox_.post([this] {
    if (stopped_ || shutdown_) return;
    // initializationOptions.model wins over --model / INFILLD_MODEL.
    const std::string dir = settings_.model.empty() ? options_.model_dir : settings_.model;
    if (host_.state() == EngineHost::State::Loading && host_.same_load(dir, settings_)) return;
    if (dir.empty()) {
      host_.fail("no model: set initializationOptions.model, pass --model DIR or set INFILLD_MODEL");
      return on_model_loaded(error(host_.failure()));
    }
    // What runs on the model being replaced would never come back (the host drops the old
    // model's results): answer it now. Requests may have reached the old model since
    // this load was asked for.
    cancel_where([](const Completion& c) { return c.in_engine(); }, ErrorCode::ServerCancelled,
                 "the model is being reloaded", &stats_.cancelled);
    set_status("loading", "loading " + dir);
    if (client_progress_) {
      send(make_request("infilld/" + std::to_string(next_server_request_++), "window/workDoneProgress/create",
                        {{"token", kProgressToken}}));
      notify("$/progress", {{"token", kProgressToken},
                            {"value", {{"kind", "begin"}, {"title", "Loading model"}, {"percentage", 0}}}});
      progress_open_ = true;
    }
    host_.load(
        dir, settings_,
        [this](int percent, std::string message) {
          if (progress_open_)
            notify("$/progress", {{"token", kProgressToken},
                                  {"value", {{"kind", "report"}, {"message", message}, {"percentage", percent}}}});
        },
        [this](Status status) { on_model_loaded(std::move(status)); });
  });
}

void Server::reload_changed_model() {
  if (host_.state() != EngineHost::State::Ready) return;  // already loading again
  log_message(kWarning, "the model's files changed on disk: loading " + host_.model_dir().string() + " again");
  cancel_where([](const Completion& c) { return c.in_engine(); }, ErrorCode::ServerCancelled,
               "the model is being reloaded", &stats_.cancelled);
  load_model();
}

void Server::watch_model_folder() {
  if (host_.model_dir().empty()) return;
  // Files are written in bursts (a copy, a download): wait for a quiet second.
  const int rc = model_watch_.start(host_.model_dir().string(), [this](const std::string&) {
    model_quiet_.start(1000, [this] { on_model_folder_quiet(); });
  });
  if (rc != 0)
    log_message(kLog, "cannot watch " + host_.model_dir().string() + " (" + uv_strerror(rc) +
                          "): its changes are noticed at the next request");
}

void Server::on_model_folder_quiet() {
  if (stopped_ || shutdown_) return;
  if (host_.state() == EngineHost::State::Ready && (!host_.check_model() || host_.folder_changed()))
    return reload_changed_model();
  if (host_.state() == EngineHost::State::Failed && host_.folder_changed()) return load_model();
  watch_model_folder();  // a folder renamed away and another moved in: watch the new one
}

void Server::on_model_loaded(Status status) {
  watch_model_folder();
  if (progress_open_) {
    notify("$/progress", {{"token", kProgressToken},
                          {"value", {{"kind", "end"}, {"message", status ? "ready" : status.message()}}}});
    progress_open_ = false;
  }
  std::vector<uint64_t> waiting;
  for (auto& [serial, c] : completions_)
    if (c.state() == Completion::State::WaitingForModel) waiting.push_back(serial);
  if (!status) {
    if (host_.folder_changed()) return load_model();  // changed while it loaded: try what is there now
    set_status("error", status.message());
    if (!load_failure_shown_) show_message(kError, status.message());
    load_failure_shown_ = true;
    for (uint64_t serial : waiting) fail_completion(serial, ErrorCode::RequestFailed, status.message(), &stats_.errors);
    return;
  }
  load_failure_shown_ = false;
  const std::string where = host_.description().rfind("remote", 0) == 0 ? " (" + host_.description() + ")" : "";
  set_status("ready", "model " + host_.model_dir().string() + where);
  // The folder changed again while it loaded (the watch's quiet second may have passed
  // during the load): load what is there now.
  if (host_.folder_changed()) return reload_changed_model();
  for (uint64_t serial : waiting) schedule_engine(serial);
}

// ---------------------------------------------------------------------------------------
// Documents

void Server::did_open(const json& params) {
  auto document = member(params, "params", "textDocument");
  if (!document) return log_message(kError, "didOpen: " + document.message());
  auto uri = read_string(**document, "params.textDocument", "uri");
  auto text = read_string(**document, "params.textDocument", "text");
  auto version = read_integer(**document, "params.textDocument", "version");
  if (!uri || !text || !version)
    return log_message(kError, "didOpen: " + (!uri ? uri.message() : !text ? text.message() : version.message()));
  const json* language = optional_member(**document, "languageId");
  workspace_.open(*uri, language && language->is_string() ? language->get<std::string>() : "", *version, std::move(*text));
  note_size(*uri, false);
}

void Server::note_size(const std::string& uri, bool was_too_large) {
  const OpenDocument* doc = workspace_.find(uri);
  if (doc == nullptr || !doc->too_large || was_too_large) return;  // once per crossing of the limit
  log_message(kInfo, uri + " has " + std::to_string(doc->document.text().size()) +
                         " bytes, more than maxDocumentBytes (" + std::to_string(settings_.max_document_bytes) +
                         "): it is tracked but not parsed or completed");
}

void Server::did_change(const json& params) {
  auto document = member(params, "params", "textDocument");
  if (!document) return log_message(kError, "didChange: " + document.message());
  auto uri = read_string(**document, "params.textDocument", "uri");
  auto version = read_integer(**document, "params.textDocument", "version");
  auto changes = member(params, "params", "contentChanges");
  if (!uri || !version || !changes)
    return log_message(kError, "didChange: " + (!uri ? uri.message() : !version ? version.message() : changes.message()));
  if (!(*changes)->is_array()) return log_message(kError, "didChange: params.contentChanges: expected an array");
  std::vector<context::TextEdit> edits;
  for (size_t i = 0; i < (*changes)->size(); ++i) {
    auto edit = read_content_change((**changes)[i], "params.contentChanges[" + std::to_string(i) + "]");
    if (!edit) return log_message(kError, "didChange: " + edit.message());
    edits.push_back(std::move(*edit));
  }
  const OpenDocument* before = workspace_.find(*uri);
  const bool was_too_large = before != nullptr && before->too_large;
  if (Status s = workspace_.change(*uri, *version, edits, encoding_); !s) return log_message(kError, s.message());
  note_size(*uri, was_too_large);
  // Work on the older version is moot: its requests get ContentModified.
  const std::string& u = *uri;
  const int64_t v = *version;
  cancel_where([&](const Completion& c) { return !c.speculative() && c.uri == u && c.version < v; },
               ErrorCode::ContentModified, "the document changed", &stats_.content_modified);
  // An editor that accepted the last suggestion without running its command.
  if (acceptance_.document_changed(u, workspace_.find(u)->document.text())) ++stats_.accepted;
}

void Server::did_close(const json& params) {
  auto uri = read_document_uri(params);
  if (!uri) return log_message(kError, "didClose: " + uri.message());
  const std::string& u = *uri;
  cancel_where([&](const Completion& c) { return c.uri == u; }, ErrorCode::RequestCancelled, "the document was closed",
               &stats_.cancelled);
  workspace_.close(u);
  acceptance_.document_closed(u);
}

// ---------------------------------------------------------------------------------------
// Copilot-compatible extras

Expected<json> Server::execute_command(const json& params) {
  auto command = read_string(params, "params", "command");
  if (!command) return command.error();
  if (*command != kAcceptCommand) return error("params.command: unknown command \"", *command, "\"");
  const json* arguments = optional_member(params, "arguments");
  const json* first = arguments != nullptr && arguments->is_array() && !arguments->empty() ? &(*arguments)[0] : nullptr;
  auto id = first != nullptr ? read_string(*first, "params.arguments[0]", "id")
                             : Expected<std::string>(error("params.arguments: expected [{\"id\": ...}]"));
  if (!id) return id.error();
  switch (acceptance_.accept(*id)) {
    case AcceptanceTracker::Accept::Unknown:
      return error("params.arguments[0].id: no completion item \"", *id, "\" was given recently");
    case AcceptanceTracker::Accept::Counted: ++stats_.accepted; break;
    case AcceptanceTracker::Accept::Already: break;  // once per item, however it was reported
  }
  return json(nullptr);
}

void Server::count_item_event(const json& params, int64_t& counter) {
  if (!params.is_object() || !params.contains("item")) return log_message(kError, "expected params {item}");
  ++counter;
}

}  // namespace infilld::lsp
