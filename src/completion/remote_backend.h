// Another engine over HTTP as a CompletionBackend (completion/backend.h): the context engine,
// the plan and the post-processing stay here; only the middle is filled elsewhere.
//
//   kind      request                                   streamed answer
//   infilld   POST <url>/v1/completions (infilld serve)  SSE, choices[0].text
//   openai    POST <url>/completions (url ends in /v1)   SSE, choices[0].text
//   fim       POST <url>/fim/completions (Mercury,       SSE, choices[0].delta.content
//             Codestral; url ends in /v1)
//   llamacpp  POST <url>/infill                          SSE, content
//   ollama    POST <url>/api/generate                    NDJSON, response
//
// Every request streams, so that its text arrives as it is made, and a cancelled request
// aborts its transfer at once (its wait on the connection is woken, curl_multi_wakeup); the
// connection closes with its transfer. A user and password in the URL are used, never shown. HTTPS uses the system's CAs or
// `ca_file`; libcurl honours the proxy environment variables (https_proxy, no_proxy...).
// The key comes from the environment variable `api_key_env`, never from a settings file.
//
// Threads: each request runs its transfer on a thread of its own; the callbacks run there.
// Destroying the backend cancels what runs and joins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "completion/backend.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::completion {

struct RemoteOptions {
  std::string kind = "infilld";  // infilld | openai | fim | llamacpp | ollama
  std::string url;               // the server's base URL (see the table above)
  std::string model;             // sent as "model" (the remote's own name for it)
  std::string api_key_env;       // the variable holding the key; empty: no key
  int64_t timeout_ms = 30000;    // the whole transfer
  std::string ca_file;           // extra CA bundle for HTTPS; empty: the system's
  std::vector<std::pair<std::string, std::string>> headers;
  // A local tokenizer to plan with (token counts for the budget; the remote has its own).
  std::filesystem::path tokenizer_dir;
  int64_t max_positions = 8192;  // the remote model's context, for the plan's checks
};

class RemoteBackend final : public CompletionBackend {
 public:
  // Errors: an unknown kind, no URL, a key variable that is not set, no tokenizer files.
  static Expected<std::unique_ptr<RemoteBackend>> make(RemoteOptions options);
  ~RemoteBackend() override;

  std::string describe() const override;  // "remote: infilld http://127.0.0.1:8080"
  const ModelFacts& facts() const override { return facts_; }
  std::shared_ptr<Ticket> submit(FillRequest request, Update on_update, Done done) override;

  // The known kinds, for messages and help.
  static const std::vector<std::string>& kinds();

 private:
  RemoteBackend() = default;
  void reap();  // joins the transfers that have ended

  RemoteOptions options_;
  std::string api_key_;
  std::unique_ptr<engine::Tokenizer> tokenizer_;
  ModelFacts facts_;
  struct Transfer {
    std::thread thread;
    std::shared_ptr<Ticket> ticket;
    std::shared_ptr<bool> ended;  // set by the thread (under mutex_) as it returns
  };
  std::mutex mutex_;
  std::list<Transfer> transfers_;
};

}  // namespace infilld::completion
