// `infilld serve`: the model behind HTTP/1.1 (docs/serve.md). cpp-httplib's thread pool
// reads the requests; each completion is planned like `infilld complete`'s (the suffix is
// the model's real right context) and submitted to the CompletionBackend, whose engine
// worker batches the requests running together (continuously: each joins at the next
// denoising step); the answer goes back whole or as
// server-sent events.
//
// Threads: start() binds and returns; the model loads on a thread of its own (GET /health
// answers 503 until it is ready); the HTTP threads block on their request's result;
// stop() from any thread (the CLI's signal thread) ends wait().
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "completion/settings.h"

namespace infilld::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";  // loopback unless asked
  int port = 8080;                 // 0: any free port (start() says which)
  std::filesystem::path model_dir;
  std::string api_key;             // empty: no key; else "Authorization: Bearer <key>"
  int parallel = 4;                // requests in the engine at once (the worker batches them)
  int max_queue = 16;              // more waiting than this: 429 with Retry-After
  size_t max_body_bytes = 4 << 20; // larger bodies: 413
  completion::Settings settings;   // device, quantize and every request's defaults
};

class Server {
 public:
  // Binds the address and starts serving (the model loads meanwhile). Errors: a port in
  // use, an address that cannot be bound.
  static Expected<std::unique_ptr<Server>> start(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Blocks until stop(); then the HTTP threads finish and the model is released.
  void wait();
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace infilld::serve
