#include "serve/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "completion/backend.h"
#include "completion/local_backend.h"
#include "completion/plan.h"
#include "context/definitions.h"
#include "context/languages.h"
#include "context/snippets.h"
#include "serve/api.h"
#include "serve/metrics.h"
#include "serve/peer_socket.h"

namespace infilld::serve {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Server::Impl {
  ServeOptions options;
  httplib::Server http;
  int port = 0;
  std::thread listener, loader;
  Metrics metrics;
  std::string model_name;  // the folder's name: what /v1/models lists

  std::mutex mutex;  // guards what follows
  std::condition_variable slot_free;
  std::shared_ptr<completion::CompletionBackend> backend;  // null until loaded
  std::string load_error;
  int running = 0, waiting = 0;
  bool stopping = false;
  uint64_t next_id = 1;
};

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Seconds since 1970: the APIs' `created`.
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// Compares in time that depends only on the lengths, not on where the texts differ.
bool same_key(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

bool authorized(const Server::Impl& s, const httplib::Request& req) {
  if (s.options.api_key.empty()) return true;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.compare(0, kBearer.size(), kBearer) != 0) return false;
  return same_key(std::string_view(header).substr(kBearer.size()), s.options.api_key);
}

// A slot in the engine, held while a request runs (waiting for one when all are taken).
class Slot {
 public:
  explicit Slot(Server::Impl& s) : s_(s) {}
  ~Slot() {
    std::lock_guard lock(s_.mutex);
    --s_.running;
    s_.metrics.running = s_.running;
    s_.slot_free.notify_one();
  }

 private:
  Server::Impl& s_;
};

// Null when the queue is full (or the server stops).
std::shared_ptr<Slot> admit(Server::Impl& s) {
  std::unique_lock lock(s.mutex);
  if (s.running >= s.options.parallel) {
    if (s.waiting >= s.options.max_queue) return nullptr;
    ++s.waiting;
    s.metrics.waiting = s.waiting;
    s.slot_free.wait(lock, [&] { return s.running < s.options.parallel || s.stopping; });
    --s.waiting;
    s.metrics.waiting = s.waiting;
    if (s.stopping) return nullptr;
  }
  ++s.running;
  s.metrics.running = s.running;
  return std::make_shared<Slot>(s);
}

// The request's prompt planned as `infilld complete` plans a file's: plain text (the APIs
// name no language), the budget from the settings, input_extra as other files' snippets.
Expected<completion::Plan> plan_request(const ApiRequest& r, const completion::ModelFacts& facts,
                                        const engine::DecodeOptions& options) {
  const std::string text = r.prefix + r.suffix;
  context::SnippetRing ring;
  for (const ExtraFile& f : r.extra) ring.add_document(f.filename, f.text);
  context::DefinitionIndex definitions;
  return completion::plan_completion({.text = text,
                                      .cursor = r.prefix.size(),
                                      .tree = nullptr,
                                      .language = &context::language_for("", ""),
                                      .path = "",
                                      .explicit_request = true,
                                      .model = &facts,
                                      .max_length = options.max_length,
                                      .prompt = {.budget = r.settings.budget,
                                                 .prefix_share = r.settings.prefix_share,
                                                 .snippet_share = r.settings.snippet_share},
                                      .max_tokens = r.settings.max_tokens,
                                      .ring = &ring,
                                      .definitions = &definitions});
}

// The answer's text and ending from what the engine filled.
Outcome outcome_of(const ApiRequest& r, const completion::FillResult& result, int64_t prompt_tokens) {
  Outcome o;
  o.text = cut_at_stop(completion::printable_prefix(result.text), r.stop, o.stopped);
  o.stopped = o.stopped || result.finish == engine::FinishReason::Stop;
  o.prompt_tokens = prompt_tokens;
  o.completion_tokens = static_cast<int64_t>(result.tokens.size());
  o.ms = result.stats.total_ms;
  return o;
}

std::string sse(const json& event) {
  return "data: " + event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

// A streamed completion: the engine's updates and its result, handed from the worker
// thread to the HTTP thread that writes the events. The worker's callbacks only store and
// notify (under the mutex); the HTTP thread copies what they stored and writes without the
// lock, so a slow client never holds up the engine.
struct Stream {
  std::mutex mutex;
  std::condition_variable changed;
  std::string middle;                    // the worker's, under the mutex
  bool finished = false;
  uint64_t version = 0;                  // one more per callback
  Expected<completion::FillResult> result = error("no result yet");
  std::shared_ptr<completion::Ticket> ticket;  // set before the first event; then read only
  // The HTTP thread's own.
  uint64_t seen = 0;
  size_t sent = 0;       // bytes of the answer's text already sent
  bool counted = false;  // the request's outcome is in the metrics
};

void stream_response(Server::Impl& s, httplib::Response& res, std::shared_ptr<completion::CompletionBackend> backend,
                     std::shared_ptr<Slot> slot, ApiRequest r, completion::FillRequest fill, int64_t prompt_tokens,
                     std::string id, int64_t created, std::string endpoint, Clock::time_point t0) {
  auto st = std::make_shared<Stream>();
  st->ticket = backend->submit(
      std::move(fill),
      [st](std::string middle) {
        std::lock_guard lock(st->mutex);
        st->middle = std::move(middle);
        ++st->version;
        st->changed.notify_one();
      },
      [st](Expected<completion::FillResult> result) {
        std::lock_guard lock(st->mutex);
        st->result = std::move(result);
        st->finished = true;
        ++st->version;
        st->changed.notify_one();
      });
  auto request = std::make_shared<ApiRequest>(std::move(r));
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&s, st, request, slot, prompt_tokens, id, endpoint, t0, created](size_t, httplib::DataSink& sink) -> bool {
        std::string middle;
        bool finished = false;
        Expected<completion::FillResult> result = error("no result yet");
        {
          std::unique_lock lock(st->mutex);
          // Wakes for news, or every 100 ms to see whether the client is still there.
          st->changed.wait_for(lock, std::chrono::milliseconds(100), [&] { return st->version != st->seen; });
          st->seen = st->version;
          middle = st->middle;
          finished = st->finished;
          if (finished) result = st->result;
        }
        const auto count = [&](const char* outcome) {
          st->counted = true;
          s.metrics.request(endpoint, outcome, seconds_since(t0));
        };
        const auto gone = [&] {  // the client went away: stop the engine's work
          st->ticket->cancel();
          count("cancelled");
          return false;
        };
        if (!sink.is_writable()) return gone();
        if (finished && !result) {
          const std::string event = sse(error_json(result.message(), "server_error"));
          sink.write(event.data(), event.size());
          count("error");
          sink.done();
          return true;
        }
        bool stopped = false;
        std::string text = cut_at_stop(completion::printable_prefix(middle), request->stop, stopped);
        Outcome o;
        if (finished) {
          o = outcome_of(*request, *result, prompt_tokens);
          text = o.text;
        } else if (stopped) {
          st->ticket->cancel();  // the rest is not wanted
          o = {.text = text, .stopped = true, .prompt_tokens = prompt_tokens};
        }
        const bool last = finished || stopped;
        const size_t ready = last ? text.size() : streamable_length(text, request->stop);
        if (ready > st->sent) {
          const std::string event = sse(stream_chunk_json(*request, text.substr(st->sent, ready - st->sent), nullptr, id,
                                                          created));
          st->sent = ready;
          if (!sink.write(event.data(), event.size())) return gone();
        }
        if (!last) return true;
        std::string tail = sse(stream_chunk_json(*request, "", &o, id, created));
        if (ends_with_done(request->api)) tail += "data: [DONE]\n\n";
        if (!sink.write(tail.data(), tail.size())) return gone();
        count("ok");
        if (finished) s.metrics.engine_run(result->stats.forwards, prompt_tokens, o.completion_tokens);
        sink.done();
        return true;
      },
      // After the last write, or instead of any when the server stops first: what is
      // still running is not wanted.
      [&s, st, endpoint, t0](bool) {
        st->ticket->cancel();  // a no-op when the engine has finished
        if (!st->counted)
          s.metrics.request(endpoint, "cancelled", seconds_since(t0));
        st->counted = true;
      });
}

// A whole (non-streamed) completion: the engine's result, or nullopt when the client left
// first (looked at every 100 ms; its work is then cancelled and waited for).
std::optional<Expected<completion::FillResult>> fill_while_connected(completion::CompletionBackend& backend,
                                                                   completion::FillRequest fill,
                                                                   const httplib::Request& req) {
  struct Wait {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<Expected<completion::FillResult>> result;
  };
  auto wait = std::make_shared<Wait>();
  auto ticket = backend.submit(std::move(fill), {}, [wait](Expected<completion::FillResult> r) {
    std::lock_guard lock(wait->mutex);
    wait->result = std::move(r);
    wait->done.notify_one();
  });
  const int fd = connection_socket(req.remote_addr, req.remote_port, req.local_addr, req.local_port);
  std::unique_lock lock(wait->mutex);
  while (!wait->done.wait_for(lock, std::chrono::milliseconds(100), [&] { return wait->result.has_value(); })) {
    if (fd < 0 || !peer_closed(fd)) continue;
    ticket->cancel();  // answered within a denoising step
    wait->done.wait(lock, [&] { return wait->result.has_value(); });
    return std::nullopt;
  }
  return std::move(wait->result);
}

void complete(Server::Impl& s, Api api, const std::string& endpoint, const httplib::Request& req,
              httplib::Response& res) {
  const Clock::time_point t0 = Clock::now();
  const auto finish = [&](int status, const std::string& outcome, const json& body) {
    send_json(res, status, body);
    s.metrics.request(endpoint, outcome, seconds_since(t0));
  };
  if (!authorized(s, req)) {
    res.set_header("WWW-Authenticate", "Bearer");
    return finish(401, "unauthorized", error_json("a valid API key is required (Authorization: Bearer KEY)",
                                                  "authentication_error"));
  }
  std::shared_ptr<completion::CompletionBackend> backend;
  {
    std::lock_guard lock(s.mutex);
    backend = s.backend;
    if (!backend) {
      const std::string why = s.load_error.empty() ? "the model is loading" : "the model failed to load: " + s.load_error;
      return finish(503, "unavailable", error_json(why, "unavailable"));
    }
  }
  Parsed parsed = parse_request(api, req.body, s.options.settings);
  if (!parsed.request) return finish(400, "bad_request", error_json(parsed.error.message, "invalid_request_error", parsed.error.field));
  ApiRequest& r = *parsed.request;

  std::shared_ptr<Slot> slot = admit(s);
  if (!slot) {
    res.set_header("Retry-After", "1");
    return finish(429, "overloaded", error_json("too many requests waiting; retry later", "overloaded"));
  }
  const completion::ModelFacts& facts = backend->facts();
  const engine::DecodeOptions options = completion::request_options(r.settings, facts.defaults, t0);
  auto plan = plan_request(r, facts, options);
  if (!plan) return finish(400, "bad_request", error_json(plan.message(), "invalid_request_error"));
  const int64_t prompt_tokens = static_cast<int64_t>(plan->prefix_ids.size() + plan->suffix_ids.size());
  std::string id;
  {
    std::lock_guard lock(s.mutex);
    id = "cmpl-infilld-" + std::to_string(s.next_id++);
  }
  const int64_t created = unix_now();
  if (plan->shape.kind == context::ShapeKind::None) {  // nothing fits at this cursor
    const Outcome empty{.text = "", .stopped = true, .prompt_tokens = prompt_tokens};
    if (!r.stream) return finish(200, "ok", response_json(r, empty, id, created));
    std::string events = sse(stream_chunk_json(r, "", &empty, id, created));
    if (ends_with_done(r.api)) events += "data: [DONE]\n\n";
    res.set_content(events, "text/event-stream");
    s.metrics.request(endpoint, "ok", seconds_since(t0));
    return;
  }
  auto fill = completion::fill_request(std::move(*plan), options);
  if (!fill) return finish(400, "bad_request", error_json(fill.message(), "invalid_request_error"));
  fill->settled = {};  // an API client asked for up to max_tokens: the whole canvas

  if (r.stream) return stream_response(s, res, backend, slot, std::move(r), std::move(*fill), prompt_tokens, id, created, endpoint, t0);
  auto whole = fill_while_connected(*backend, std::move(*fill), req);
  // The client closed its side: most likely gone; one that only half-closed still reads this.
  if (!whole) return finish(499, "cancelled", error_json("the client closed the connection: cancelled", "cancelled"));
  const Expected<completion::FillResult>& result = *whole;
  if (!result) return finish(500, "error", error_json(result.message(), "server_error"));
  const Outcome o = outcome_of(r, *result, prompt_tokens);
  s.metrics.engine_run(result->stats.forwards, prompt_tokens, o.completion_tokens);
  finish(200, "ok", response_json(r, o, id, created));
}

void routes(Server::Impl& s) {
  auto& http = s.http;
  http.Get("/health", [&s](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(s.mutex);
    if (s.backend) return send_json(res, 200, {{"status", "ok"}});
    if (!s.load_error.empty()) return send_json(res, 500, {{"status", "error"}, {"error", s.load_error}});
    send_json(res, 503, {{"status", "loading model"}});
  });
  http.Get("/v1/models", [&s](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(s, req)) return send_json(res, 401, error_json("a valid API key is required", "authentication_error"));
    send_json(res, 200, {{"object", "list"},
                         {"data", json::array({{{"id", s.model_name}, {"object", "model"}, {"created", 0},
                                                {"owned_by", "infilld"}}})}});
  });
  http.Get("/metrics", [&s](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(s, req)) return send_json(res, 401, error_json("a valid API key is required", "authentication_error"));
    std::shared_ptr<completion::CompletionBackend> backend;
    {
      std::lock_guard lock(s.mutex);
      backend = s.backend;
    }
    res.set_content(s.metrics.prometheus_text(backend ? backend->steps_by_batch_size() : std::vector<uint64_t>{}),
                    "text/plain; version=0.0.4");
  });
  const std::pair<const char*, Api> endpoints[] = {
      {"/v1/completions", Api::OpenAI}, {"/completions", Api::OpenAI}, {"/v1/fim/completions", Api::Fim},
      {"/fim/completions", Api::Fim},   {"/infill", Api::Llama}};
  for (const auto& [path, api] : endpoints) {
    const std::string endpoint = path;
    const Api which = api;
    http.Post(path, [&s, endpoint, which](const httplib::Request& req, httplib::Response& res) {
      complete(s, which, endpoint, req, res);
    });
  }
  // Everything else, and what the library answers itself (a body over the limit: 413),
  // gets a JSON error too.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string what = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
                             : res.status == 413 ? "the body is larger than the server takes (--max-body-bytes)"
                                                 : "HTTP " + std::to_string(res.status);
    send_json(res, res.status, error_json(what, res.status == 404 ? "not_found" : "invalid_request_error"));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
    std::string what = "internal error";
    try {
      if (e) std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what += std::string(": ") + ex.what();
    } catch (...) {
    }
    send_json(res, 500, error_json(what, "server_error"));
  });
}

}  // namespace

Expected<std::unique_ptr<Server>> Server::start(ServeOptions options) {
  auto s = std::make_unique<Impl>();
  s->options = std::move(options);
  s->model_name = s->options.model_dir.filename().string();
  if (s->model_name.empty()) s->model_name = s->options.model_dir.parent_path().filename().string();
  const size_t threads = static_cast<size_t>(s->options.parallel + s->options.max_queue + 4);
  s->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s->http.set_payload_max_length(s->options.max_body_bytes);
  s->http.set_read_timeout(std::chrono::seconds(30));
  s->http.set_write_timeout(std::chrono::seconds(30));
  // An answer goes out in several writes (headers, body): without TCP_NODELAY the next one
  // waits for the client's delayed ACK, about 40 ms per request on a kept-alive connection
  // (bench/http_libraries: 570 requests/s at 43 ms p50 instead of thousands at under 1 ms).
  s->http.set_tcp_nodelay(true);
  routes(*s);
  const std::string& host = s->options.host;
  if (s->options.port == 0) {
    s->port = s->http.bind_to_any_port(host);
  } else {
    s->port = s->http.bind_to_port(host, s->options.port) ? s->options.port : -1;
  }
  if (s->port <= 0)
    return error("cannot listen on ", host, ":", std::to_string(s->options.port), " (in use, or not an address here)");

  Impl* impl = s.get();
  impl->loader = std::thread([impl] {
    const completion::Settings& st = impl->options.settings;
    auto loaded = completion::LocalBackend::load(impl->options.model_dir,
                                                 {.device = st.device, .quantize = st.quantize, .warm_up = true});
    std::lock_guard lock(impl->mutex);
    if (loaded) impl->backend = std::shared_ptr<completion::CompletionBackend>(std::move(*loaded));
    else impl->load_error = loaded.message();
  });
  auto listening_ended = std::make_shared<std::atomic<bool>>(false);
  impl->listener = std::thread([impl, listening_ended] {
    impl->http.listen_after_bind();
    *listening_ended = true;
  });
  // httplib's stop() does nothing before the listener runs: return only once it does.
  while (!impl->http.is_running() && !*listening_ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<Server>(new Server(std::move(s)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  if (impl_->loader.joinable()) impl_->loader.join();
}

int Server::port() const { return impl_->port; }

void Server::wait() {
  if (impl_->listener.joinable()) impl_->listener.join();
}

void Server::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->slot_free.notify_all();
  }
  impl_->http.stop();
}

}  // namespace infilld::serve
