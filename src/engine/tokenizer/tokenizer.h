// A byte-level BPE tokenizer that gives the ids Hugging Face `tokenizers` gives (with
// add_special_tokens=False) for Qwen2 / Qwen2.5 / Dream style tokenizers and similar
// byte-level BPE tokenizer.json files.
//
// Loading, from a model folder:
//   1. tokenizer.json when present (model BPE, added_tokens, normalizer, pre_tokenizer);
//   2. otherwise GPT-2 style vocab.json + merges.txt, with added tokens from
//      added_tokens.json and tokenizer_config.json's added_tokens_decoder (what Dream
//      publishes); the Qwen2 pre-tokenizer regex and NFC apply, as in Qwen2TokenizerFast.
//
// Encoding: the text is split on added tokens (longest match first), each other segment
// is normalized, cut into pieces by the pre-tokenizer regex, and each piece's bytes are
// merged by BPE. Decoding reverses the byte-level mapping (added tokens give their text).
//
// A Tokenizer is cheap to copy (copies share the loaded data) and safe to use from
// several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace infilld::engine {

struct TokenizerSpec;

class Tokenizer {
 public:
  struct AddedToken {
    int32_t id;
    std::string content;
    bool special;
  };

  // Loads the tokenizer of a model folder (see above). Needs no weights.
  static Expected<Tokenizer> load(const std::filesystem::path& model_dir);

  // Parses the text of a tokenizer.json (for tests and the fuzzer).
  static Expected<Tokenizer> from_tokenizer_json(std::string_view json_text);

  // Builds a tokenizer from loader output (used by the two loaders).
  static Expected<Tokenizer> from_spec(TokenizerSpec&& spec);

  // Token ids of text, without any added BOS/EOS. Never fails: ill-formed UTF-8 in text
  // is replaced by U+FFFD first (see tokenizer.cpp).
  std::vector<int32_t> encode(std::string_view text) const;

  // The bytes the ids stand for. An id outside the vocabulary is an error.
  Expected<std::string> decode(std::span<const int32_t> ids) const;

  // The id of a regular or added token, given as its raw token string.
  std::optional<int32_t> token_to_id(std::string_view token) const;

  // The raw token string of an id (byte-level alphabet for regular tokens, the content
  // for added tokens).
  std::optional<std::string> id_to_token(int32_t id) const;

  // 1 + the largest id (regular or added).
  int32_t vocab_size() const;

  // Added tokens, by increasing id.
  const std::vector<AddedToken>& added_tokens() const;

  // The number of regular (BPE vocabulary) tokens and of merges.
  size_t regular_token_count() const;
  size_t merge_count() const;

  // Where the tokenizer was loaded from (a file path, or "tokenizer.json" from memory).
  const std::string& source() const;

 private:
  struct Impl;
  Tokenizer() = default;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace infilld::engine
