// infilld lsp: the language server (docs/lsp.md).
//
//   infilld lsp [--stdio] [--port N] [--model DIR] [--log FILE] [--max-message-bytes N]
//
// stdout carries only protocol messages; logs go to stderr, or to --log FILE.
#include <cstdio>
#include <cstdlib>

#include <uv.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "lsp/server.h"
#include "lsp/transport.h"

namespace infilld::cli {

int cmd_lsp(Args args) {
  auto flags = Flags::parse(args, {.with_value = {"model", "port", "log", "max-message-bytes"}, .boolean = {"stdio"}});
  if (!flags) return fail(flags.message());
  if (flags->has("stdio") && flags->has("port")) return fail("lsp: --stdio and --port exclude each other");
  if (auto log = flags->get("log"))
    if (std::freopen(log->c_str(), "a", stderr) == nullptr) return fail("--log " + *log + ": cannot open the file");
  size_t max_body = lsp::kDefaultMaxBody;
  if (auto m = flags->get("max-message-bytes")) {
    char* end = nullptr;
    const long long v = std::strtoll(m->c_str(), &end, 10);
    if (m->empty() || *end != '\0' || v < 1024) return fail("--max-message-bytes: expected an integer >= 1024, found \"" + *m + "\"");
    max_body = static_cast<size_t>(v);
  }
  lsp::ServerOptions options;
  // No model is not an error here: initializationOptions may name one.
  if (auto dir = resolve_model_dir(*flags)) options.model_dir = dir->string();

  uv_loop_t loop;
  uv_loop_init(&loop);
  Expected<std::unique_ptr<lsp::Transport>> transport = error("no transport");
  if (auto port = flags->get("port")) {
    char* end = nullptr;
    const long p = std::strtol(port->c_str(), &end, 10);
    if (port->empty() || *end != '\0' || p < 0 || p > 65535) return fail("--port: expected 0 to 65535, found \"" + *port + "\"");
    transport = lsp::Transport::tcp(&loop, static_cast<int>(p), max_body);
    if (transport) std::fprintf(stderr, "infilld: listening on 127.0.0.1:%d\n", (*transport)->port());
  } else {
    transport = lsp::Transport::stdio(&loop, max_body);
  }
  if (!transport) return fail(transport.message());
  std::fflush(stderr);
  int code = 1;
  {
    lsp::Server server(&loop, **transport, options);
    server.start();
    uv_run(&loop, UV_RUN_DEFAULT);
    code = server.exit_code();
  }
  transport->reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // the handles' close callbacks
  uv_loop_close(&loop);
  return code;
}

}  // namespace infilld::cli
