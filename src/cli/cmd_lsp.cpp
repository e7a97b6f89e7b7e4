// infilld lsp: the language server (docs/lsp.md).
//
//   infilld lsp [--stdio] [--port N] [--model DIR] [--log FILE] [--max-message-bytes N]
//
// stdout carries only protocol messages; logs go to stderr, or to --log FILE.
// --test-requests turns on the requests that only tests send (infilld/test/*, docs/lsp.md).
//
// Process hygiene: SIGTERM and SIGINT stop the server as `exit` does (pending requests are
// answered as cancelled, the output flushed); a closed output (EPIPE) is the client gone,
// not a fatal signal; and the server ends when the process that started it (the editor)
// dies (PR_SET_PDEATHSIG on Linux).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "lsp/server.h"
#include "lsp/transport.h"

namespace infilld::cli {

int cmd_lsp(Args args) {
  auto flags = Flags::parse(args, {.with_value = {"model", "port", "log", "max-message-bytes"}, .boolean = {"stdio", "test-requests"}});
  if (!flags) return fail(flags.message());
  if (flags->has("stdio") && flags->has("port")) return fail("lsp: --stdio and --port exclude each other");
  if (auto log = flags->get("log")) {
    if (std::freopen(log->c_str(), "a", stderr) == nullptr) return fail("--log " + *log + ": cannot open the file");
    std::setvbuf(stderr, nullptr, _IOLBF, 0);  // a file would be fully buffered: keep `tail -f` current
  }
  size_t max_body = lsp::kDefaultMaxBody;
  auto max_message = flags->integer("max-message-bytes", static_cast<int64_t>(max_body), 1024, std::numeric_limits<int64_t>::max());
  if (!max_message) return fail(max_message.message());
  max_body = static_cast<size_t>(*max_message);
  lsp::ServerOptions options;
  options.test_requests = flags->has("test-requests");
  // No model is not an error here: initializationOptions may name one.
  if (auto dir = resolve_model_dir(*flags)) options.model_dir = dir->string();

  std::signal(SIGPIPE, SIG_IGN);  // a write to a closed pipe fails with EPIPE instead
  const pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) return fail("lsp: the process that started the server has ended");

  uv_loop_t loop;
  uv_loop_init(&loop);
  Expected<std::unique_ptr<lsp::Transport>> transport = error("no transport");
  if (flags->has("port")) {
    auto port = flags->integer("port", 0, 0, 65535);
    if (!port) return fail(port.message());
    transport = lsp::Transport::tcp(&loop, static_cast<int>(*port), max_body);
    if (transport) std::fprintf(stderr, "infilld: listening on 127.0.0.1:%d\n", (*transport)->port());
  } else {
    transport = lsp::Transport::stdio(&loop, max_body);
  }
  if (!transport) return fail(transport.message());
  std::fflush(stderr);
  int code = 1;
  {
    lsp::Server server(&loop, **transport, options);
    // SIGTERM and SIGINT: a clean stop. The handles do not keep the loop alive.
    uv_signal_t stop_signals[2];
    const int signals[2] = {SIGTERM, SIGINT};
    for (int i = 0; i < 2; ++i) {
      uv_signal_init(&loop, &stop_signals[i]);
      stop_signals[i].data = &server;
      uv_signal_start(&stop_signals[i], [](uv_signal_t* h, int) { static_cast<lsp::Server*>(h->data)->stop(); },
                      signals[i]);
      uv_unref(reinterpret_cast<uv_handle_t*>(&stop_signals[i]));
    }
    server.start();
    uv_run(&loop, UV_RUN_DEFAULT);
    code = server.exit_code();
    for (uv_signal_t& h : stop_signals) uv_close(reinterpret_cast<uv_handle_t*>(&h), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);  // the signal handles' close
  }
  transport->reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // the handles' close callbacks
  uv_loop_close(&loop);
  return code;
}

}  // namespace infilld::cli
