#include "completion/remote_backend.h"

#include "completion/remote_stream.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace infilld::completion {

namespace {

using nlohmann::json;

// What one kind sends and how its stream reads.
struct Wire {
  std::string path;
  bool ndjson = false;  // ollama: one JSON object per line; the others: SSE "data: ..." events
};

Wire wire_of(const std::string& kind) {
  if (kind == "infilld") return {"/v1/completions"};
  if (kind == "openai") return {"/completions"};
  if (kind == "fim") return {"/fim/completions"};
  if (kind == "llamacpp") return {"/infill"};
  return {"/api/generate", true};  // ollama
}

json request_body(const RemoteOptions& o, const FillRequest& r) {
  const engine::DecodeOptions& d = r.options;
  if (o.kind == "llamacpp")
    return {{"input_prefix", r.prefix}, {"input_suffix", r.suffix}, {"n_predict", d.max_tokens},
            {"temperature", d.temperature}, {"top_p", d.top_p}, {"seed", d.seed}, {"stream", true},
            {"cache_prompt", true}};
  if (o.kind == "ollama")
    return {{"model", o.model}, {"prompt", r.prefix}, {"suffix", r.suffix}, {"stream", true},
            {"options", {{"num_predict", d.max_tokens}, {"temperature", d.temperature}, {"top_p", d.top_p},
                         {"seed", d.seed}}}};
  json body = {{"model", o.model}, {"prompt", r.prefix}, {"suffix", r.suffix}, {"max_tokens", d.max_tokens},
               {"temperature", d.temperature}, {"top_p", d.top_p}, {"seed", d.seed}, {"stream", true}};
  if (o.kind == "infilld") {  // our own server takes the decoding keys by name
    if (d.steps > 0) body["steps"] = d.steps;
    if (d.block_length > 0) body["blockLength"] = d.block_length;
    if (d.threshold) body["threshold"] = *d.threshold;
  }
  return body;
}

// One transfer's answer, shared with libcurl's write callback.
struct Answer {
  RemoteStream stream;
  std::string body;  // the answer's first bytes, kept to quote when it is an error page
};

size_t on_data(char* data, size_t one, size_t n, void* user) {
  auto* t = static_cast<Answer*>(user);
  const size_t size = one * n;
  if (t->body.size() < 4096) t->body.append(data, std::min(size, 4096 - t->body.size()));
  t->stream.feed(std::string_view(data, size));
  return size;
}

// Runs `curl` on `multi` until it ends or the ticket is cancelled: the wait wakes at once on
// cancel() (curl_multi_wakeup), so a superseded request's connection closes then, not at
// libcurl's next progress tick. Returns the transfer's code, or CURLE_ABORTED_BY_CALLBACK.
CURLcode perform(CURLM* multi, CURL* curl, const Ticket& ticket) {
  if (curl_multi_add_handle(multi, curl) != CURLM_OK) return CURLE_FAILED_INIT;
  CURLcode rc = CURLE_FAILED_INIT;  // until the transfer reports how it ended
  for (int running = 1; running > 0;) {
    if (ticket.cancelled()) {
      rc = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (const CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE) rc = m->data.result;
    } else {
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
  }
  curl_multi_remove_handle(multi, curl);
  return rc;
}

Expected<FillResult> run_transfer(const RemoteOptions& o, const std::string& key, const FillRequest& request,
                                  CURLM* multi, const Ticket& ticket, const CompletionBackend::Update& on_update) {
  const Wire wire = wire_of(o.kind);
  Answer t{RemoteStream(o.kind, on_update), {}};
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return error("remote: cannot start a transfer (libcurl)");
  std::string url = o.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += wire.path;
  const std::string body = request_body(o, request).dump(-1, ' ', false, json::error_handler_t::replace);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, wire.ndjson ? "Accept: application/x-ndjson" : "Accept: text/event-stream");
  if (!key.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + key).c_str());
  for (const auto& [name, value] : o.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // The connection closes with the transfer: the multi handle is the transfer's own, so a
  // connection kept for reuse would only hold a socket (and a thread of a threaded server)
  // until the handle goes.
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  char curl_error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
  const CURLcode rc = perform(multi, curl, ticket);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  FillResult result;
  const std::string shown = url_without_userinfo(url);  // for messages
  if (rc == CURLE_ABORTED_BY_CALLBACK || ticket.cancelled()) {
    result.text = t.stream.text();
    result.finish = engine::FinishReason::Cancelled;
    return result;
  }
  if (rc != CURLE_OK)
    return error("remote ", shown, ": ", curl_error[0] != 0 ? curl_error : curl_easy_strerror(rc));
  if (status != 200) return error("remote ", shown, ": HTTP ", std::to_string(status), ": ", remote_error_message(t.body));
  t.stream.end();  // a last line without its line break
  if (!t.stream.error().empty()) return error("remote ", shown, ": ", t.stream.error());
  result.text = t.stream.text();
  result.finish = t.stream.stopped() ? engine::FinishReason::Stop : engine::FinishReason::Length;
  return result;
}

}  // namespace

const std::vector<std::string>& RemoteBackend::kinds() {
  static const std::vector<std::string> k = {"infilld", "openai", "fim", "llamacpp", "ollama"};
  return k;
}

Expected<std::unique_ptr<RemoteBackend>> RemoteBackend::make(RemoteOptions options) {
  if (std::find(kinds().begin(), kinds().end(), options.kind) == kinds().end())
    return error("backend kind \"", options.kind, "\": expected infilld, openai, fim, llamacpp or ollama");
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0)
    return error("backend url \"", url_without_userinfo(options.url), "\": expected http://... or https://...");
  std::unique_ptr<RemoteBackend> b(new RemoteBackend());
  if (!options.api_key_env.empty()) {
    const char* key = std::getenv(options.api_key_env.c_str());
    if (key == nullptr || *key == '\0')
      return error("backend apiKeyEnv: the environment variable ", options.api_key_env, " is not set");
    if (std::string_view(key).find_first_of("\r\n") != std::string_view::npos)
      return error("backend apiKeyEnv: the environment variable ", options.api_key_env, " holds a line break");
    b->api_key_ = key;
  }
  auto tokenizer = engine::Tokenizer::load(options.tokenizer_dir);
  if (!tokenizer) return error("the tokenizer to plan with (", options.tokenizer_dir.string(), "): ", tokenizer.message());
  b->tokenizer_ = std::make_unique<engine::Tokenizer>(std::move(*tokenizer));
  b->facts_.tokenizer = b->tokenizer_.get();
  b->facts_.max_positions = options.max_positions;
  b->options_ = std::move(options);
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return b;
}

RemoteBackend::~RemoteBackend() {
  std::list<Transfer> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(transfers_);
  }
  for (Transfer& t : all) {
    t.ticket->cancel();
    t.thread.join();
  }
}

std::string RemoteBackend::describe() const { return "remote: " + options_.kind + " " + url_without_userinfo(options_.url); }

void RemoteBackend::reap() {
  std::list<Transfer> ended;
  {
    std::lock_guard lock(mutex_);
    for (auto it = transfers_.begin(); it != transfers_.end();) {
      auto next = std::next(it);
      if (*it->ended) ended.splice(ended.end(), transfers_, it);
      it = next;
    }
  }
  for (Transfer& t : ended) t.thread.join();
}

std::shared_ptr<Ticket> RemoteBackend::submit(FillRequest request, Update on_update, Done done) {
  reap();
  // The transfer's multi handle, shared with its ticket: cancel() wakes the transfer's wait
  // (the ticket may outlive the transfer; waking an idle handle does nothing).
  std::shared_ptr<CURLM> multi(curl_multi_init(), curl_multi_cleanup);
  auto ticket = std::make_shared<Ticket>([multi] {
    if (multi) curl_multi_wakeup(multi.get());
  });
  auto ended = std::make_shared<bool>(false);
  std::lock_guard lock(mutex_);
  transfers_.push_back({std::thread([this, request = std::move(request), on_update = std::move(on_update),
                                     done = std::move(done), ticket, ended, multi] {
                          if (!multi) done(error("remote: cannot start a transfer (libcurl)"));
                          else done(run_transfer(options_, api_key_, request, multi.get(), *ticket, on_update));
                          std::lock_guard ended_lock(mutex_);
                          *ended = true;
                        }),
                        ticket, ended});
  return ticket;
}

}  // namespace infilld::completion
