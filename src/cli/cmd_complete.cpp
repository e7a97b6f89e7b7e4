// infilld complete: fill the middle between a prefix and a suffix with the model.
//
//   infilld complete FILE:LINE:COL            the file split at the cursor (1-based line and
//                                             column, the column in characters)
//   infilld complete --prefix-file P [--suffix-file S]
//   infilld complete --stdin                  JSON {"prefix": "...", "suffix": "..."} on stdin
//   infilld complete --prefix-ids 1,2 [--suffix-ids 3,4]   token ids (debugging, parity tests)
//
// Prints the middle on stdout; --json prints {"text", "tokens", "finish_reason", "stats"};
// --show prints the completion in its place in the file (show_completion.h) and its cost.
// Text input goes through the context engine: the shape at the cursor sets the canvas length
// (unless --max-tokens), prompt windows fit --budget tokens (default 2048), and the middle is
// post-processed (cut to the shape, no duplicate of the suffix...) unless --raw.
// --backend URL fills the middle on another engine (completion/remote_backend.h:
// --backend-kind infilld|openai|fim|llamacpp|ollama, --backend-model, --backend-key-env VAR,
// --backend-ca-file, --backend-timeout-ms); the plan uses the --model folder's tokenizer.
#include <algorithm>
#include <chrono>
#include <optional>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/commands.h"
#include "cli/device_flag.h"
#include "cli/file_plan.h"
#include "cli/settings_flags.h"
#include "cli/flags.h"
#include "cli/location.h"
#include "cli/model_dir.h"
#include "cli/show_completion.h"
#include "common/mapped_file.h"
#include "completion/backend.h"
#include "completion/local_backend.h"
#include "completion/remote_backend.h"
#include "completion/settings.h"
#include "context/shape.h"
#include "engine/denoise/denoiser.h"

namespace infilld::cli {

namespace {

struct Context {
  std::string path;  // the file, when given as FILE:LINE:COL (its extension picks the language)
  std::string prefix, suffix;
  std::vector<int32_t> prefix_ids, suffix_ids;
  bool ids = false;  // given as ids: no tokenizer needed
};

Expected<Context> read_context(const Flags& flags) {
  Context ctx;
  if (auto p = flags.get("prefix-ids")) {
    auto prefix = parse_token_ids("--prefix-ids", *p);
    if (!prefix) return prefix.error();
    auto suffix = parse_token_ids("--suffix-ids", flags.get("suffix-ids").value_or(""));
    if (!suffix) return suffix.error();
    ctx.prefix_ids = std::move(*prefix);
    ctx.suffix_ids = std::move(*suffix);
    ctx.ids = true;
    return ctx;
  }
  if (flags.has("stdin")) {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto j = nlohmann::json::parse(input, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("prefix") || !j["prefix"].is_string())
      return error("--stdin: expected a JSON object {\"prefix\": \"...\", \"suffix\": \"...\"}");
    ctx.prefix = j["prefix"].get<std::string>();
    if (j.contains("suffix") && j["suffix"].is_string()) ctx.suffix = j["suffix"].get<std::string>();
    return ctx;
  }
  if (auto p = flags.get("prefix-file")) {
    auto prefix = read_text_file(*p);
    if (!prefix) return prefix.error();
    ctx.prefix = std::move(*prefix);
    if (auto s = flags.get("suffix-file")) {
      auto suffix = read_text_file(*s);
      if (!suffix) return suffix.error();
      ctx.suffix = std::move(*suffix);
    }
    return ctx;
  }
  if (flags.positional().size() != 1)
    return error("complete needs FILE:LINE:COL, --prefix-file, --stdin or --prefix-ids (see 'infilld --help')");
  auto fc = read_file_cursor(flags.positional()[0]);
  if (!fc) return fc.error();
  ctx.path = fc->path;
  ctx.prefix = fc->text.substr(0, fc->cursor);
  ctx.suffix = fc->text.substr(fc->cursor);
  return ctx;
}

// Every flag `complete` takes: its own, and the settings table's.
FlagSpec complete_flags() {
  FlagSpec spec{.with_value = {"model", "prefix-file", "suffix-file", "prefix-ids", "suffix-ids", "language", "with",
                               "repeat", "backend", "backend-kind", "backend-model", "backend-key-env",
                               "backend-ca-file", "backend-timeout-ms"},
                .boolean = {"stdin", "json", "raw", "show"}};
  add_settings_flags(spec);
  return spec;
}

// The model loaded here, or with --backend URL another engine (the plan still uses the
// --model folder's tokenizer). Token ids need no tokenizer; text does.
Expected<std::unique_ptr<completion::CompletionBackend>> make_backend(const Flags& flags,
                                                                      const completion::Settings& settings,
                                                                      const std::filesystem::path& dir, bool ids) {
  if (auto url = flags.get("backend")) {
    if (ids) return error("--backend takes text (FILE:LINE:COL, --prefix-file or --stdin), not token ids");
    auto timeout = flags.integer("backend-timeout-ms", 30000, 1, 3600000);
    if (!timeout) return timeout.error();
    completion::RemoteOptions o{.kind = flags.get("backend-kind").value_or("infilld"),
                                .url = *url,
                                .model = flags.get("backend-model").value_or(""),
                                .api_key_env = flags.get("backend-key-env").value_or(""),
                                .timeout_ms = *timeout,
                                .ca_file = flags.get("backend-ca-file").value_or(""),
                                .headers = {},
                                .tokenizer_dir = dir};
    auto remote = completion::RemoteBackend::make(std::move(o));
    if (!remote) return remote.error();
    return std::unique_ptr<completion::CompletionBackend>(std::move(*remote));
  }
  for (const char* f : {"backend-kind", "backend-model", "backend-key-env", "backend-ca-file", "backend-timeout-ms"})
    if (flags.has(f)) return error("--", f, " needs --backend URL");
  auto local = completion::LocalBackend::load(dir, {.device = settings.device, .quantize = settings.quantize, .require_tokenizer = !ids});
  if (!local) return local.error();
  note_cpu_fallback(settings.device, (*local)->fallback_reason());
  return std::unique_ptr<completion::CompletionBackend>(std::move(*local));
}

nlohmann::json stats_json(const engine::DenoiseStats& s) {
  return {{"forwards", s.forwards},
          {"positions", s.positions},
          {"revealed", s.revealed},
          {"revealed_per_step", s.revealed_per_step},
          {"tokens_per_forward", s.forwards ? double(s.revealed) / s.forwards : 0.0},
          {"forward_ms", s.forward_ms},
          {"score_ms", s.score_ms},
          {"total_ms", s.total_ms}};
}

}  // namespace

int cmd_complete(Args args) {
  auto flags = Flags::parse(args, complete_flags());
  if (!flags) return fail(flags.message());
  auto settings = read_settings(*flags);
  if (!settings) return fail(settings.message());
  auto ctx = read_context(*flags);
  if (!ctx) return fail(ctx.message());
  if (flags->has("show") && (ctx->ids || flags->has("json")))
    return fail("--show needs text (FILE:LINE:COL, --prefix-file or --stdin) and no --json");
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto backend = make_backend(*flags, *settings, *dir, ctx->ids);
  if (!backend) return fail(backend.message());
  const completion::ModelFacts& model = (*backend)->facts();
  const engine::DecodeOptions options =
      completion::request_options(*settings, model.defaults, std::chrono::steady_clock::now());

  completion::FillRequest request;
  context::Shape shape;
  const context::Language* language = nullptr;
  if (ctx->ids) {  // ids: no plan, so the options and the canvas are checked here
    if (Status s = engine::validate(options); !s) return fail(s.message());
    request.prefix_ids = std::move(ctx->prefix_ids);
    request.suffix_ids = std::move(ctx->suffix_ids);
    request.options = options;
    const int64_t length = static_cast<int64_t>(request.prefix_ids.size() + request.suffix_ids.size()) +
                           engine::canvas_overhead(model.canvas, request.options);
    if (length > model.max_positions)
      return fail("the prompt needs " + std::to_string(length) + " positions but the model takes at most " +
                  std::to_string(model.max_positions));
  } else {
    // The context engine: the language, the shape at the cursor (a script's request is
    // explicit: never silenced), windows under the token budget, other files in front.
    auto planned = plan_file({.prefix = ctx->prefix, .suffix = ctx->suffix, .path = ctx->path}, *flags, *settings,
                             model, options.max_length);
    if (!planned) return fail(planned.message());
    language = planned->language;
    shape = planned->plan.shape;
    if (shape.kind == context::ShapeKind::None) {  // nothing fits here (e.g. code to the right)
      if (flags->has("json"))
        std::printf("{\"text\":\"\",\"tokens\":[],\"finish_reason\":\"none\",\"reason\":%s}\n",
                    nlohmann::json(shape.reason).dump().c_str());
      else if (flags->has("show"))
        std::printf("nothing to complete here: %s\n", shape.reason.c_str());
      return 0;
    }
    auto filled = completion::fill_request(std::move(planned->plan), options);
    if (!filled) return fail(filled.message());
    request = std::move(*filled);
    if (flags->has("raw")) request.settled = {};  // the model's whole middle, uncut
  }
  // --repeat N (benchmarks): the same completion N times; the last is printed and --json
  // lists every run's milliseconds (the first carries the warm-up).
  auto repeat_flag = flags->integer("repeat", 1, 1, 100000);
  if (!repeat_flag) return fail(repeat_flag.message());
  const int repeat = static_cast<int>(*repeat_flag);
  std::vector<double> run_ms;
  Expected<completion::FillResult> result = error("no run");
  for (int r = 0; r < repeat && (r == 0 || result); ++r) {
    result = (*backend)->fill(request);
    if (result) run_ms.push_back(result->stats.total_ms);
  }
  if (!result) return fail(result.message());

  // The middle as the engine gave it (ids, --raw), or post-processed against the file.
  const std::string text =
      ctx->ids || flags->has("raw")
          ? result->text
          : completion::finish_completion(result->text, ctx->prefix, ctx->suffix, shape.kind, language);
  if (flags->has("json")) {
    nlohmann::json out = {{"text", text},
                          {"tokens", result->tokens},
                          {"finish_reason", engine::finish_reason_name(result->finish)},
                          {"stats", stats_json(result->stats)},
                          {"device", (*backend)->describe()}};
    if (flags->has("repeat")) out["run_ms"] = run_ms;
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (flags->has("show")) {
    const engine::DenoiseStats& st = result->stats;
    std::printf("model %s: %d forwards, %.0f ms, finish %s\n", dir->string().c_str(), st.forwards, st.total_ms,
                std::string(engine::finish_reason_name(result->finish)).c_str());
    const std::string view =
        show_completion({.prefix = ctx->prefix, .middle = text, .suffix = ctx->suffix, .color = isatty(1) != 0});
    std::fwrite(view.data(), 1, view.size(), stdout);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

}  // namespace infilld::cli
