// What the two loaders (tokenizer_json.cpp, gpt2_files.cpp) read from a model folder,
// before it is checked and turned into a Tokenizer by Tokenizer::from_spec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/tokenizer/added_tokens.h"
#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/unicode.h"

namespace infilld::engine {

struct PreTokenizerStepSpec {
  enum class Kind { kNone, kRegex, kLiteral };
  Kind kind = Kind::kNone;
  std::string pattern;
  bool add_prefix_space = false;
  std::string where;  // e.g. "pre_tokenizer.pretokenizers[0].pattern", for errors
};

struct TokenizerSpec {
  std::string source;         // the file the tokenizer came from, for error messages
  std::string merges_source;  // the file the merges came from (source when empty)
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  BpeOptions bpe;
  std::vector<AddedTokenSpec> added_tokens;
  std::vector<unicode::NormalizationForm> normalizers;
  std::vector<PreTokenizerStepSpec> pre_tokenizer;
};

// Reads a tokenizer.json text. where names it in error messages.
Expected<TokenizerSpec> parse_tokenizer_json(std::string_view text, const std::string& where);

// Reads vocab.json + merges.txt (+ added_tokens.json, tokenizer_config.json) in dir.
Expected<TokenizerSpec> read_gpt2_files(const std::string& dir);

// Reads a whole file; the error names the file.
Expected<std::string> read_file(const std::string& path);

}  // namespace infilld::engine
