// infilld serve: the model over HTTP for a team (docs/serve.md, serve/server.h).
//
//   infilld serve [--host 127.0.0.1] [--port 8080] [--model DIR] [--api-key-file F]
//                 [--parallel N] [--max-queue N] [--max-body-bytes N] [settings flags...]
//
// The settings flags (--device, --quantize, --max-tokens, --steps...) set the server's
// defaults; a request's own fields go over them. SIGINT and SIGTERM stop it cleanly.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <pthread.h>
#include <signal.h>
#include <thread>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "cli/settings_flags.h"
#include "serve/server.h"

namespace infilld::cli {

namespace {

// The key file's first line, trimmed. Errors: unreadable or empty (a server that would
// take any key is not what the flag asked for).
Expected<std::string> read_api_key(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error("--api-key-file ", path, ": cannot read the file");
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(key.begin());
  if (key.empty()) return error("--api-key-file ", path, ": the first line is empty");
  return key;
}

}  // namespace

int cmd_serve(Args args) {
  FlagSpec spec{.with_value = {"host", "port", "model", "api-key-file", "parallel", "max-queue", "max-body-bytes"},
                .boolean = {}};
  add_settings_flags(spec);
  auto flags = Flags::parse(args, spec);
  if (!flags) return fail(flags.message());
  if (!flags->positional().empty()) return fail("serve: unexpected argument \"" + flags->positional()[0] + "\"");
  auto settings = read_settings(*flags);
  if (!settings) return fail(settings.message());
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  serve::ServeOptions options;
  options.model_dir = *dir;
  options.settings = *settings;
  options.host = flags->get("host").value_or("127.0.0.1");
  auto port = flags->integer("port", 8080, 0, 65535);
  if (!port) return fail(port.message());
  options.port = static_cast<int>(*port);
  auto parallel = flags->integer("parallel", 4, 1, 256);
  if (!parallel) return fail(parallel.message());
  options.parallel = static_cast<int>(*parallel);
  auto queue = flags->integer("max-queue", 16, 0, 4096);
  if (!queue) return fail(queue.message());
  options.max_queue = static_cast<int>(*queue);
  auto body = flags->integer("max-body-bytes", 4 << 20, 1024, int64_t{1} << 30);
  if (!body) return fail(body.message());
  options.max_body_bytes = static_cast<size_t>(*body);
  if (auto key_file = flags->get("api-key-file")) {
    auto key = read_api_key(*key_file);
    if (!key) return fail(key.message());
    options.api_key = *key;
  }

  // SIGINT and SIGTERM go to one thread that stops the server; the others never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-answer: the write fails instead

  auto server = serve::Server::start(options);
  if (!server) return fail(server.message());
  std::fprintf(stderr, "infilld: serving %s on http://%s:%d/ (%s)\n", dir->string().c_str(), options.host.c_str(),
               (*server)->port(), options.api_key.empty() ? "no API key" : "API key required");
  std::fflush(stderr);
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    (*server)->stop();
  });
  (*server)->wait();
  // wait() also returns if the listener fails: wake the signal thread with a signal of its own.
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  return 0;
}

}  // namespace infilld::cli
