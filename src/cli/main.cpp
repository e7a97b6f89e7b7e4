// infilld: one binary, several faces (DESIGN.md section 1).
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "completion/settings.h"
#if defined(INFILLD_CUDA_MODULE)
#include "cli/cuda_module.h"
#include "engine/backend.h"
#elif defined(INFILLD_HAVE_CUDA)
#include "engine/cuda/register.h"
#endif

namespace infilld::cli {

int fail(std::string_view message) {
  std::fprintf(stderr, "infilld: error: %.*s\n", static_cast<int>(message.size()), message.data());
  return 2;
}

namespace {

// Each command's synopsis: `infilld CMD --help` prints its own, `infilld --help` all of them.
struct Command {
  std::string_view name;
  int (*run)(Args);
  std::string_view synopsis;
  std::string (*details)() = nullptr;  // more for `infilld CMD --help`
};

constexpr Command kCommands[] = {
    {"complete", cmd_complete,
     "  complete FILE:LINE:COL | --prefix-file P [--suffix-file S] | --stdin | --prefix-ids IDS\n"
     "           [--model DIR] [--json | --show] [--raw] [--language ID] [--with FILE,...] [--repeat N]\n"
     "           [--max-tokens N] [--budget N] [--alg A] [--device D] ... (complete --help lists them)\n"
     "           [--backend URL [--backend-kind infilld|openai|fim|llamacpp|ollama] [--backend-model M]\n"
     "            [--backend-key-env VAR] [--backend-ca-file F] [--backend-timeout-ms N]]\n"
     "                                         fill the middle; prints it (or JSON with stats)\n",
     infilld::completion::settings_help},
    {"context", cmd_context,
     "  context FILE:LINE:COL [--model DIR] [--budget N] [--with FILE,...] [--explicit]\n"
     "                                         the prompt that would be sent, with token counts\n"},
    {"lsp", cmd_lsp,
     "  lsp [--stdio | --port N] [--model DIR] [--log FILE] [--max-message-bytes N]\n"
     "                                         the language server (docs/lsp.md); stdio by default\n"},
    {"serve", cmd_serve,
     "  serve [--host 127.0.0.1] [--port 8080] [--model DIR] [--api-key-file F] [--parallel N]\n"
     "        [--max-queue N] [--max-body-bytes N] [--device D] [--quantize q8] [--max-tokens N] ...\n"
     "                                         the model over HTTP: OpenAI /v1/completions with suffix,\n"
     "                                         /v1/fim/completions, llama.cpp /infill (docs/serve.md)\n",
     infilld::completion::settings_help},
    {"info", cmd_info, "  info --model DIR [--quantize q8]       architecture, size, dtype, resident memory, mask id, shift convention\n"},
    {"forward", cmd_forward,
     "  forward --model DIR --tokens 1,2,3 --out logits.npy [--context-length N] [--quantize q8]\n"
     "                                         run one forward pass, write float32 logits [T, vocab]\n"},
    {"tokenize", cmd_tokenize,
     "  tokenize --model DIR [--verbose] TEXT  print token ids (needs only the tokenizer files)\n"
     "  tokenize --model DIR --decode IDS      print the text of ids (comma or space separated)\n"},
    {"bench", cmd_bench,
     "  bench forward --model DIR [--positions 32,512] [--repeat 5] [--device auto|cpu|cuda] [--quantize q8] [--scored N]\n"
     "                                         time the forward pass, one JSON line per count\n"},
};

constexpr const char* kModelNote =
    "The model folder is a Hugging Face checkpoint folder (config.json, tokenizer files,\n"
    "model.safetensors or shards with model.safetensors.index.json); without --model, the\n"
    "default model is found as the README says.\n";

void print_usage(FILE* out) {
  std::fputs("usage: infilld <command> [options]\n"
             "       infilld                           with stdin a pipe: the language server on stdio\n"
             "       infilld --version\n"
             "       infilld <command> --help\n"
             "\n"
             "commands:\n",
             out);
  for (const Command& c : kCommands) std::fwrite(c.synopsis.data(), 1, c.synopsis.size(), out);
  std::fputs("\n", out);
  std::fputs(kModelNote, out);
}

// `--help` or `-h` among a command's arguments (before a `--`).
bool asks_for_help(Args args) {
  for (std::string_view a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

}  // namespace
}  // namespace infilld::cli

namespace {

// One thread policy for every command: threads that wait yield the CPU. infilld shares the
// machine with the editor and its other tools; OpenMP's default makes idle worker threads
// spin after each parallel region, and under load a spinning team made keystroke latency
// ten times worse (bench/README.md, keystroke replay) and the CLI's main job 20 times
// slower. Our own pool (common/thread_pool.h) polls for 50 us after a job, then sleeps. libgomp reads
// OMP_WAIT_POLICY when it loads, before main: so infilld sets it and starts again (about
// 10 ms, now that the CUDA libraries are not loaded at start; an executable's
// .preinit_array runs too early: libc's start-up then resets the environment).
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;  // the user's choice stands
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  using namespace infilld::cli;
#if defined(INFILLD_CUDA_MODULE)
  infilld::engine::set_cuda_backend_loader(&load_cuda_module);  // loaded on first use (engine/backend.h)
#elif defined(INFILLD_HAVE_CUDA)
  infilld::engine::cuda::register_cuda_backend();  // the emulator build: linked in
#endif
  std::vector<std::string_view> args(argv + 1, argv + argc);
  prefer_passive_openmp(argv);
  // An editor starts `infilld` with pipes: the language server on stdio (DESIGN.md section 1).
  if (args.empty() && !isatty(0)) return cmd_lsp({});
  if (!args.empty() && (args[0] == "--version" || args[0] == "version")) {
    std::printf("infilld %s\n", INFILLD_VERSION);
    return 0;
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    print_usage(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  for (const Command& command : kCommands) {
    if (args[0] != command.name) continue;
    const Args rest = Args(args).subspan(1);
    if (asks_for_help(rest)) {
      std::printf("usage: infilld\n%.*s\n%s", static_cast<int>(command.synopsis.size()), command.synopsis.data(),
                  command.details ? (command.details() + "\n").c_str() : "");
      std::fputs(kModelNote, stdout);
      return 0;
    }
    return command.run(rest);
  }
  print_usage(stderr);
  return fail("unknown command '" + std::string(args[0]) + "'");
}
