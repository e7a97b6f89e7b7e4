// The language server (DESIGN.md sections 3 and 7; docs/lsp.md is the contract): the
// dispatcher, the lifecycle, documents, inline completions through the engine, and the
// Copilot-compatible extras.
//
// Which thread may call what: everything on the loop thread. The engine worker and the
// model loader reach the server only through the Mailbox (EngineHost posts their results).
//
// server.cpp: dispatch, lifecycle, settings, documents, extras and stats.
// server_completion.cpp: inline completion: cache, supersede, debounce, engine, streaming,
// speculative requests (each request a CompletionRequest: completion_request.h).
// acceptance.h: which items were accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <uv.h>

#include "context/shape.h"
#include "context/text_edit.h"
#include "lsp/acceptance.h"
#include "lsp/completion_cache.h"
#include "lsp/completion_request.h"
#include "lsp/engine_host.h"
#include "lsp/mailbox.h"
#include "lsp/message.h"
#include "completion/settings.h"
#include "lsp/stats.h"
#include "lsp/transport.h"
#include "lsp/uv_handles.h"
#include "lsp/workspace.h"

namespace infilld::lsp {

// The settings are the completion layer's one table (completion/settings.h).
using completion::apply_settings;
using completion::decode_options;
using completion::Settings;
using completion::SettingsReport;

struct ServerOptions {
  std::string model_dir;  // --model or INFILLD_MODEL; initializationOptions.model wins
  Settings settings;      // defaults (and flags)
  bool test_requests = false;  // --test-requests: answer infilld/test/* (tests compare the server's state with theirs)
};

class Server {
 public:
  Server(uv_loop_t* loop, Transport& transport, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  // Ends the session (as `exit` does; SIGTERM and SIGINT too): pending requests are answered
  // as cancelled, the engine stops, the transport closes after its queued writes.
  void stop();
  // The process exit status once the loop has ended: 0 after shutdown + exit, 1 otherwise.
  int exit_code() const { return shutdown_ ? 0 : 1; }

 private:
  using json = nlohmann::json;
  using Clock = std::chrono::steady_clock;

  using Completion = CompletionRequest;

  // Transport and dispatch (server.cpp).
  void on_body(Expected<std::string> body);
  void on_request(const Message& m);
  void on_notification(const Message& m);
  void on_disconnect();
  void send(const json& message);
  void reply(const json& id, json result);
  void reply_error(const json& id, ErrorCode code, std::string message);
  void notify(std::string method, json params);
  void log_message(int type, std::string text);  // window/logMessage (and stderr)
  void show_message(int type, std::string text); // window/showMessage
  void set_status(std::string state, std::string message);

  // Lifecycle, settings, documents, extras (server.cpp).
  Expected<json> initialize(const json& params);
  void apply_settings_from(const json& object, bool at_initialize);
  void load_model();
  // The loaded model's files changed on disk: what runs on it is cancelled and the folder is
  // loaded again.
  void reload_changed_model();
  // The watch on the model's folder: after its files have been quiet for a moment, a
  // changed folder is loaded again (a loaded model whose files changed, or a folder that
  // failed to load and has changed since), with no request needed.
  void watch_model_folder();
  void on_model_folder_quiet();
  // One window/logMessage when a document goes over maxDocumentBytes (opened so, or grown).
  void note_size(const std::string& uri, bool was_too_large);
  void on_model_loaded(Status status);
  void did_open(const json& params);
  void did_change(const json& params);
  void did_close(const json& params);
  Expected<json> execute_command(const json& params);
  void count_item_event(const json& params, int64_t& counter);

  // Completions (server_completion.cpp). A request lives in completions_ from its arrival
  // to its reply; the functions taking a serial do nothing when it was answered meanwhile.
  void request_completion(const Message& m, Completion::Kind kind);
  Completion& store(Completion c);        // into completions_, under its serial
  void schedule_engine(uint64_t serial);  // after the debounce, if any: start_engine
  void start_engine(uint64_t serial);
  void on_engine_done(uint64_t serial, Expected<completion::FillResult> result);
  void on_engine_update(uint64_t serial, std::string middle);
  // The one reply path of a completion request: `message` (a response or an error for
  // c.id()) is sent only if c.answered() lets it through (reply once; see
  // completion_request.h). The caller erases c afterwards.
  void reply_completion(Completion& c, json message);
  void answer(Completion& c, const std::string& suggestion);  // replies with items and erases c
  // Replies with an error (counted in `counter` unless null) and erases; a speculative
  // request is erased without a reply.
  void fail_completion(uint64_t serial, ErrorCode code, std::string message, int64_t* counter);
  void cancel_where(const std::function<bool(const Completion&)>& which, ErrorCode code, const std::string& why,
                    int64_t* counter);
  void maybe_speculate(const Completion& answered, const std::string& suggestion);
  void cancel_speculative();
  int engine_jobs() const;
  PendingCounts pending_counts() const;  // for infilld/stats
  json make_items(const Completion& c, const std::string& suggestion);

  uv_loop_t* loop_;
  Transport& transport_;
  ServerOptions options_;
  Settings settings_;
  Mailbox mailbox_;
  EngineHost host_;  // after the mailbox: the host's threads post into it until they stop
  Workspace workspace_;
  CompletionCache cache_;
  Stats stats_;
  context::PositionEncoding encoding_ = context::PositionEncoding::Utf16;
  bool initialized_ = false;   // initialize answered
  bool shutdown_ = false;      // shutdown received
  bool stopped_ = false;
  bool client_progress_ = false;  // the client takes window/workDoneProgress/create
  bool progress_open_ = false;
  std::string trace_ = "off";
  bool load_failure_shown_ = false;
  int64_t next_server_request_ = 1;
  uint64_t next_serial_ = 1;
  std::map<uint64_t, Completion> completions_;  // by serial; after stats_ (they count into it)
  AcceptanceTracker acceptance_;
  std::string status_state_;
  FolderWatch model_watch_;
  Timer model_quiet_;  // restarted by each change in the model's folder
};

}  // namespace infilld::lsp
