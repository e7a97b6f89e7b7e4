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
#include "cli/flags.h"
#include "cli/location.h"
#include "cli/other_files.h"
#include "cli/model_dir.h"
#include "cli/show_completion.h"
#include "common/mapped_file.h"
#include "context/postprocess.h"
#include "lsp/completion_plan.h"
#include "context/prompt.h"
#include "context/shape.h"
#include "context/syntax_tree.h"
#include "engine/denoise/denoiser.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::cli {

namespace {

using engine::DecodeOptions;

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

// Lays the flags over the family's defaults.
Expected<DecodeOptions> read_options(const Flags& flags, DecodeOptions o) {
  auto number = [&](std::string_view name, auto& target) -> Status {
    auto v = flags.get(name);
    if (!v) return Status::ok();
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0') return error("--", name, ": expected a number, found \"", *v, "\"");
    using T = std::decay_t<decltype(target)>;
    if constexpr (std::is_integral_v<T>) {
      if (d != static_cast<double>(static_cast<long long>(d)) || d < -1e9 || d > 1e9)
        return error("--", name, ": expected an integer, found \"", *v, "\"");
    }
    target = static_cast<T>(d);
    return Status::ok();
  };
  INFILLD_TRY(number("max-tokens", o.max_tokens));
  INFILLD_TRY(number("steps", o.steps));
  INFILLD_TRY(number("block-length", o.block_length));
  INFILLD_TRY(number("temperature", o.temperature));
  INFILLD_TRY(number("top-k", o.top_k));
  INFILLD_TRY(number("top-p", o.top_p));
  INFILLD_TRY(number("seed", o.seed));
  INFILLD_TRY(number("eps", o.eps));
  INFILLD_TRY(number("max-length", o.max_length));
  if (flags.has("threshold")) {
    double t = 0;
    INFILLD_TRY(number("threshold", t));
    o.threshold = t;
  }
  if (flags.has("factor")) {
    double f = 0;
    INFILLD_TRY(number("factor", f));
    o.factor = f;
  }
  if (auto alg = flags.get("alg")) {
    auto p = engine::parse_policy(*alg);
    if (!p) return p.error();
    o.policy = *p;
  }
  if (auto schedule = flags.get("schedule")) {
    auto s = engine::parse_schedule(*schedule);
    if (!s) return s.error();
    o.schedule = *s;
  }
  if (auto cache = flags.get("cache")) {
    auto c = engine::parse_cache_mode(*cache);
    if (!c) return c.error();
    o.cache = *c;
  }
  if (flags.has("deadline-ms")) {
    double ms = 0;
    INFILLD_TRY(number("deadline-ms", ms));
    if (ms < 0) return error("--deadline-ms must be >= 0");
    o.deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
  }
  INFILLD_TRY(engine::validate(o));
  return o;
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
  auto flags = Flags::parse(
      args, {.with_value = {"model", "prefix-file", "suffix-file", "prefix-ids", "suffix-ids", "max-tokens", "steps",
                            "alg", "schedule", "threshold", "factor", "block-length", "temperature", "top-k", "top-p",
                            "seed", "cache", "deadline-ms", "eps", "max-length", "language", "budget", "with", "device", "repeat"},
             .boolean = {"stdin", "json", "raw", "show"}});
  if (!flags) return fail(flags.message());
  auto ctx = read_context(*flags);
  if (!ctx) return fail(ctx.message());
  if (flags->has("show") && (ctx->ids || flags->has("json")))
    return fail("--show needs text (FILE:LINE:COL, --prefix-file or --stdin) and no --json");
  auto dir = resolve_model_dir(*flags);
  if (!dir) return fail(dir.message());
  auto model = engine::Model::load(*dir);
  if (!model) return fail(model.message());
  auto options = read_options(*flags, engine::family_defaults(model->config(), model->checkpoint().generation_config()));
  if (!options) return fail(options.message());

  engine::InfillRequest request;
  request.options = *options;
  const engine::Tokenizer* tokenizer = model->tokenizer();
  context::Shape shape;
  const context::Language* language = nullptr;
  if (ctx->ids) {
    request.prefix = std::move(ctx->prefix_ids);
    request.suffix = std::move(ctx->suffix_ids);
  } else {
    if (tokenizer == nullptr) return fail(dir->string() + ": no tokenizer files (tokenizer.json or vocab.json + merges.txt)");
    // The context engine: the language, the shape at the cursor (a script's request is
    // explicit: never silenced), windows under the token budget, other files in front.
    const std::string full = ctx->prefix + ctx->suffix;
    language = &context::language_for(flags->get("language").value_or(""), ctx->path);
    std::optional<context::SyntaxTree> tree;
    if (language->grammar != nullptr)
      if (auto parsed = context::SyntaxTree::parse(*language, full)) tree = std::move(*parsed);
    context::SnippetRing ring;
    context::DefinitionIndex definitions;
    if (auto with = flags->get("with"))
      if (Status s = read_other_files(*with, ring, definitions); !s) return fail(s.message());
    lsp::PlanInput in{.text = full,
                      .cursor = ctx->prefix.size(),
                      .tree = tree ? &*tree : nullptr,
                      .language = language,
                      .path = ctx->path,
                      .explicit_request = true,
                      .tokenizer = tokenizer,
                      .max_positions = model->config().max_positions,
                      .prompt = {},
                      .max_tokens = flags->has("max-tokens") ? request.options.max_tokens : 0,
                      .ring = &ring,
                      .definitions = &definitions};
    in.prompt.budget = std::atoi(flags->get("budget").value_or("2048").c_str());
    auto plan = lsp::plan_completion(in);
    if (!plan) return fail(plan.message());
    shape = plan->shape;
    if (shape.kind == context::ShapeKind::None) {  // nothing fits here (e.g. code to the right)
      if (flags->has("json"))
        std::printf("{\"text\":\"\",\"tokens\":[],\"finish_reason\":\"none\",\"reason\":%s}\n",
                    nlohmann::json(shape.reason).dump().c_str());
      else if (flags->has("show"))
        std::printf("nothing to complete here: %s\n", shape.reason.c_str());
      return 0;
    }
    request.options.max_tokens = plan->max_tokens;
    request.prefix = std::move(plan->prefix_ids);
    request.suffix = std::move(plan->suffix_ids);
  }
  const int64_t length = static_cast<int64_t>(request.prefix.size() + request.suffix.size()) + request.options.max_tokens + 2;
  if (length > model->config().max_positions)
    return fail("the prompt needs " + std::to_string(length) + " positions but the model takes at most " +
                std::to_string(model->config().max_positions));

  auto backend = backend_for(*flags, *model);
  if (!backend) return fail(backend.message());
  // --repeat N (benchmarks): the same completion N times; the last is printed and --json
  // lists every run's milliseconds (the first carries the warm-up).
  const int repeat = std::max(1, std::atoi(flags->get("repeat").value_or("1").c_str()));
  const engine::CanvasSpec spec = engine::canvas_spec(model->config(), tokenizer ? tokenizer->vocab_size() : 0);
  std::vector<double> run_ms;
  Expected<engine::InfillResult> result = engine::denoise(*backend->model, spec, request);
  for (int r = 0; result && r < repeat; ++r) {
    if (r > 0) result = engine::denoise(*backend->model, spec, request);
    if (result) run_ms.push_back(result->stats.total_ms);
  }
  if (!result) return fail(result.message());

  std::string text;
  if (tokenizer != nullptr) {
    auto decoded = tokenizer->decode(result->tokens);
    if (!decoded) return fail(decoded.message());
    text = std::move(*decoded);
    if (!ctx->ids && !flags->has("raw"))
      text = context::postprocess({lsp::printable_prefix(text), ctx->prefix, ctx->suffix, shape.kind, language});
  }
  if (flags->has("json")) {
    nlohmann::json out = {{"text", text},
                          {"tokens", result->tokens},
                          {"finish_reason", engine::finish_reason_name(result->finish)},
                          {"stats", stats_json(result->stats)},
                          {"device", backend->description}};
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
