// Pre-tokenization: cutting normalized text into pieces before BPE, with regular
// expressions run by PCRE2 (UTF + UCP mode, JIT-compiled when the platform allows).
//
// Hugging Face `tokenizers` runs these patterns with Oniguruma. The two engines agree on
// the syntax used by byte-level tokenizers, with one exception handled here: PCRE2's \s
// also accepts U+180E, which Oniguruma's Unicode \s (U+0009-U+000D, U+0085, Zs, Zl, Zp)
// does not, so \s and \S are rewritten to that explicit set before compiling.
#pragma once

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace infilld::engine {

// The pre-tokenizer pattern of Qwen2 / Qwen2.5 / Dream.
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The pattern of the ByteLevel pre-tokenizer when use_regex is true (GPT-2's).
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Rewrites \s and \S (outside \Q...\E) to Oniguruma's Unicode whitespace set.
std::string with_oniguruma_whitespace(std::string_view pattern);

// A compiled pattern. Safe to use from several threads at once.
class Regex {
 public:
  // literal: match the pattern text as a plain string. where: names the pattern in errors.
  static Expected<Regex> compile(std::string_view pattern, bool literal, std::string_view where);

  // Appends to pieces every match of the pattern in text and every non-empty stretch
  // between matches, in order (the "Isolated" split behaviour). Empty matches are ignored.
  // text must be well-formed UTF-8. If PCRE2 fails at run time (a resource limit), the
  // rest of text becomes one piece: deterministic, never a crash.
  void split_isolated(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  struct CodeDeleter {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
  };
  std::unique_ptr<pcre2_code, CodeDeleter> code_;
};

// One step of a pre-tokenizer pipeline: optionally prepend a space to each piece that does
// not start with one (ByteLevel's add_prefix_space), then optionally split it with a regex.
struct PreTokenizerStep {
  std::optional<Regex> regex;
  bool add_prefix_space = false;
};

class PreTokenizer {
 public:
  void add_step(PreTokenizerStep step) { steps_.push_back(std::move(step)); }

  // Cuts text into pieces. Pieces point into text or into storage (for prefixed copies).
  void split(std::string_view text, std::vector<std::string_view>& pieces,
             std::deque<std::string>& storage) const;

 private:
  std::vector<PreTokenizerStep> steps_;
};

}  // namespace infilld::engine
