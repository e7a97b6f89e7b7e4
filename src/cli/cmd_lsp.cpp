// infilld lsp: the language server (docs/lsp.md).
//
//   infilld lsp [--stdio] [--port N] [--model DIR] [--log FILE] [--max-message-bytes N]
//
// stdout carries only protocol messages; logs go to stderr, or to --log FILE.
#include <cstdio>
#include <cstdlib>
#include <limits>

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
  auto max_message = flags->integer("max-message-bytes", static_cast<int64_t>(max_body), 1024, std::numeric_limits<int64_t>::max());
  if (!max_message) return fail(max_message.message());
  max_body = static_cast<size_t>(*max_message);
  lsp::ServerOptions options;
  // No model is not an error here: initializationOptions may name one.
  if (auto dir = resolve_model_dir(*flags)) options.model_dir = dir->string();

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
