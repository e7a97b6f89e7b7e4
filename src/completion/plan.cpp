#include "completion/plan.h"

#include <algorithm>

#include "context/cross_file.h"
#include "context/postprocess.h"

namespace infilld::completion {

std::string_view printable_prefix(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\n' && b != '\t' && b != '\r') || b == 0x7f) break;
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    const size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || b > 0xF4 || i + n > text.size()) break;
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    bool ok = (b1 & 0xC0) == 0x80;
    if (b == 0xE0) ok = ok && b1 >= 0xA0;
    if (b == 0xED) ok = ok && b1 < 0xA0;
    if (b == 0xF0) ok = ok && b1 >= 0x90;
    if (b == 0xF4) ok = ok && b1 < 0x90;
    for (size_t k = 2; k < n; ++k) ok = ok && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!ok) break;
    i += n;
  }
  return text.substr(0, i);
}

namespace {

// `text` before `cursor` from the start of the last non-blank line before the cursor's line.
std::string_view cursor_lines(std::string_view text, size_t cursor) {
  const std::string_view before = text.substr(0, std::min(cursor, text.size()));
  const size_t nl = before.rfind('\n');
  size_t start = nl == std::string_view::npos ? 0 : nl + 1;  // the cursor's line
  while (start > 0) {  // whole lines back, until a non-blank one is taken
    const size_t end = start - 1;  // the line break ending the previous line
    const size_t previous = end == 0 ? std::string_view::npos : before.rfind('\n', end - 1);
    start = previous == std::string_view::npos ? 0 : previous + 1;
    if (before.substr(start, end - start).find_first_not_of(" \t\r") != std::string_view::npos) break;
  }
  return before.substr(start);
}

}  // namespace

Expected<Plan> plan_completion(const PlanInput& in) {
  if (in.model == nullptr) return error("plan_completion: no model facts (a caller's bug)");
  if (in.model->tokenizer == nullptr)
    return error("the model has no tokenizer files (tokenizer.json or vocab.json + merges.txt)");
  const engine::Tokenizer& tokenizer = *in.model->tokenizer;
  const int64_t max_positions = in.model->max_positions;
  Plan plan;
  plan.shape = context::completion_shape(in.text, in.cursor, in.tree, in.explicit_request);
  if (plan.shape.kind == context::ShapeKind::None) return plan;
  plan.cursor_lines = std::string(cursor_lines(in.text, in.cursor));
  plan.max_tokens = in.max_tokens > 0 ? in.max_tokens : plan.shape.max_tokens;

  // The windows' budget plus the snippets' share must fit the model's positions, with the
  // canvas in the model's layout.
  engine::DecodeOptions canvas_options;
  canvas_options.max_tokens = plan.max_tokens;
  canvas_options.max_length = in.max_length;
  const int64_t overhead = engine::canvas_overhead(in.model->canvas, canvas_options);
  context::PromptOptions options = in.prompt;
  const int64_t room = max_positions - overhead;
  const auto fit = static_cast<int64_t>(double(room) / (1.0 + options.snippet_share));
  options.budget = std::min(fit, options.budget);
  if (options.budget < 1)
    return error("the model's context (", max_positions, " positions) is too short for ", plan.max_tokens,
                 " tokens to fill");
  const context::TokenCounter count = [&](std::string_view s) {
    return static_cast<int64_t>(tokenizer.encode(s).size());
  };
  plan.prompt = context::build_prompt(in.text, in.cursor, in.tree, count, options);
  if (in.ring != nullptr && in.definitions != nullptr && in.language != nullptr)
    context::add_cross_file_context(plan.prompt, *in.ring, *in.definitions, in.path, *in.language, count,
                                    static_cast<int64_t>(double(options.budget) * options.snippet_share));
  plan.prefix_ids = tokenizer.encode(plan.prompt.prefix);
  plan.suffix_ids = tokenizer.encode(plan.prompt.suffix);
  plan.positions = static_cast<int64_t>(plan.prefix_ids.size() + plan.suffix_ids.size()) + overhead;
  if (plan.positions > max_positions)
    return error("the prompt needs ", plan.positions, " positions but the model takes at most ", max_positions);
  return plan;
}

std::string finish_completion(std::string_view middle, std::string_view prefix, std::string_view suffix,
                              context::ShapeKind shape, const context::Language* language) {
  return context::postprocess({printable_prefix(middle), prefix, suffix, shape, language});
}

}  // namespace infilld::completion
