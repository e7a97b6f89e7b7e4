#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "engine/tokenizer/added_tokens.h"
#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer_spec.h"
#include "engine/tokenizer/unicode.h"

namespace infilld::engine {

struct Tokenizer::Impl {
  std::string source;
  BpeModel model;
  std::unordered_map<int32_t, std::string> regular_by_id;
  std::vector<AddedToken> added;  // by increasing id
  std::unordered_map<int32_t, std::string> added_by_id;
  std::unordered_map<std::string, int32_t> added_by_content;
  AddedTokenMatcher raw_tokens;         // normalized == false: found in the raw text
  AddedTokenMatcher normalized_tokens;  // normalized == true: found after normalization
  std::vector<unicode::NormalizationForm> normalizers;
  PreTokenizer pre_tokenizer;
  int32_t vocab_size = 0;

  explicit Impl(BpeModel m) : model(std::move(m)) {}

  // Buffers reused across the pieces of one encode() call.
  struct EncodeState {
    std::vector<std::string_view> pieces;
    std::deque<std::string> storage;
    BpeModel::Scratch bpe;
  };

  void encode_plain(std::string_view text, EncodeState& state, std::vector<int32_t>& ids) const;
  void encode_pieces(std::string_view text, EncodeState& state, std::vector<int32_t>& ids) const;
};

Expected<Tokenizer> Tokenizer::from_spec(TokenizerSpec&& spec) {
  const std::string& where = spec.source;
  if (spec.vocab.empty() && spec.added_tokens.empty()) return error(where, ": the vocabulary is empty");
  std::unordered_map<std::string, int32_t> vocab;
  std::unordered_map<int32_t, std::string> by_id;
  vocab.reserve(spec.vocab.size());
  by_id.reserve(spec.vocab.size());
  int32_t max_id = -1;
  for (auto& [token, id] : spec.vocab) {
    if (id < 0) return error(where, ": vocab token ", token, " has a negative id ", id);
    auto [it, fresh] = by_id.emplace(id, token);
    if (!fresh && it->second != token) {
      return error(where, ": vocab tokens \"", it->second, "\" and \"", token, "\" both have id ", id,
                   "; the file is corrupt");
    }
    vocab[token] = id;
    max_id = std::max(max_id, id);
  }
  auto model = BpeModel::build(std::move(vocab), spec.merges, spec.bpe,
                               spec.merges_source.empty() ? where : spec.merges_source);
  if (!model) return model.error();
  auto impl = std::make_shared<Impl>(std::move(*model));
  impl->source = where;
  impl->regular_by_id = std::move(by_id);
  impl->normalizers = spec.normalizers;

  std::stable_sort(spec.added_tokens.begin(), spec.added_tokens.end(),
            [](const AddedTokenSpec& a, const AddedTokenSpec& b) { return a.id < b.id; });
  for (const AddedTokenSpec& token : spec.added_tokens) {
    if (token.id < 0) return error(where, ": added token \"", token.content, "\" has a negative id");
    if (token.content.empty()) return error(where, ": added token ", token.id, " has empty content");
    if (!unicode::is_valid_utf8(token.content)) {
      return error(where, ": added token ", token.id, " is not valid UTF-8");
    }
    auto [it, fresh] = impl->added_by_id.emplace(token.id, token.content);
    if (!fresh) {
      if (it->second == token.content) continue;  // listed twice
      return error(where, ": added tokens \"", it->second, "\" and \"", token.content, "\" both have id ", token.id);
    }
    auto [cit, cfresh] = impl->added_by_content.emplace(token.content, token.id);
    if (!cfresh) {
      return error(where, ": added token \"", token.content, "\" has two ids, ", cit->second, " and ", token.id);
    }
    impl->added.push_back({token.id, token.content, token.special});
    (token.normalized ? impl->normalized_tokens : impl->raw_tokens).add(token);
    max_id = std::max(max_id, token.id);
  }
  impl->vocab_size = max_id + 1;

  for (const PreTokenizerStepSpec& step : spec.pre_tokenizer) {
    PreTokenizerStep compiled;
    compiled.add_prefix_space = step.add_prefix_space;
    if (step.kind != PreTokenizerStepSpec::Kind::kNone) {
      auto regex = Regex::compile(step.pattern, step.kind == PreTokenizerStepSpec::Kind::kLiteral,
                                  where + ": " + step.where);
      if (!regex) return regex.error();
      compiled.regex = std::move(*regex);
    }
    impl->pre_tokenizer.add_step(std::move(compiled));
  }
  Tokenizer tokenizer;
  tokenizer.impl_ = std::move(impl);
  return tokenizer;
}

Expected<Tokenizer> Tokenizer::from_tokenizer_json(std::string_view json_text) {
  auto spec = parse_tokenizer_json(json_text, "tokenizer.json");
  INFILLD_TRY(spec);
  return from_spec(std::move(*spec));
}

Expected<Tokenizer> Tokenizer::load(const std::filesystem::path& model_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string dir = model_dir.string();
  if (!fs::is_directory(model_dir, ec)) {
    return error("model folder ", dir, " does not exist or is not a folder");
  }
  const fs::path json_path = model_dir / "tokenizer.json";
  if (fs::exists(json_path, ec)) {
    auto text = read_file(json_path.string());
    INFILLD_TRY(text);
    auto spec = parse_tokenizer_json(*text, json_path.string());
    INFILLD_TRY(spec);
    return from_spec(std::move(*spec));
  }
  const bool has_vocab = fs::exists(model_dir / "vocab.json", ec);
  const bool has_merges = fs::exists(model_dir / "merges.txt", ec);
  if (has_vocab && has_merges) {
    auto spec = read_gpt2_files(dir);
    INFILLD_TRY(spec);
    return from_spec(std::move(*spec));
  }
  if (has_vocab || has_merges) {
    return error("incomplete tokenizer in ", dir, ": found ", has_vocab ? "vocab.json" : "merges.txt",
                 " but not ", has_vocab ? "merges.txt" : "vocab.json", "; copy the missing file from the model's repository");
  }
  return error("no tokenizer found in ", dir,
               ": expected tokenizer.json or vocab.json + merges.txt; copy them from the model's repository");
}

void Tokenizer::Impl::encode_pieces(std::string_view text, EncodeState& state,
                                    std::vector<int32_t>& ids) const {
  state.storage.clear();
  pre_tokenizer.split(text, state.pieces, state.storage);
  for (std::string_view piece : state.pieces) model.encode(piece, state.bpe, ids);
}

// Plain text between added tokens: normalize, find normalized added tokens, pre-tokenize, BPE.
void Tokenizer::Impl::encode_plain(std::string_view text, EncodeState& state,
                                   std::vector<int32_t>& ids) const {
  std::string normalized;
  if (!normalizers.empty()) {
    normalized.assign(text);
    for (unicode::NormalizationForm form : normalizers) {
      // Normalization of well-formed text cannot fail short of running out of memory; if
      // it ever does, the text stays as it was (deterministic, never a crash).
      auto result = unicode::normalize(normalized, form);
      if (result) normalized = std::move(*result);
    }
    text = normalized;
  }
  if (normalized_tokens.empty()) {
    encode_pieces(text, state, ids);
    return;
  }
  std::vector<MatchedSegment> segments;
  normalized_tokens.split(text, segments);
  for (const MatchedSegment& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      encode_pieces(segment.text, state, ids);
    }
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  if (!impl_ || text.empty()) return ids;
  // Ill-formed UTF-8: Hugging Face only ever tokenizes well-formed text (a Rust String);
  // from Python, bytes reach it through bytes.decode("utf-8", errors="replace"), which
  // replaces each maximal ill-formed subpart by U+FFFD. We do the same, so such input
  // gets the ids HF gives the repaired text, and decode(encode(x)) is the repaired text.
  std::string repaired;
  if (!unicode::is_valid_utf8(text)) {
    repaired = unicode::replace_invalid_utf8(text);
    text = repaired;
  }
  ids.reserve(text.size() / 3 + 8);
  Impl::EncodeState state;
  if (impl_->raw_tokens.empty()) {
    impl_->encode_plain(text, state, ids);
    return ids;
  }
  std::vector<MatchedSegment> segments;
  impl_->raw_tokens.split(text, segments);
  for (const MatchedSegment& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      impl_->encode_plain(segment.text, state, ids);
    }
  }
  return ids;
}

Expected<std::string> Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  if (!impl_) return error("decode: the tokenizer is not loaded");
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (auto added = impl_->added_by_id.find(id); added != impl_->added_by_id.end()) {
      out += added->second;
      continue;
    }
    auto regular = impl_->regular_by_id.find(id);
    if (regular == impl_->regular_by_id.end()) {
      return error("decode: id ", id, " (position ", i, ") is not a token of ", impl_->source,
                   " (ids run from 0 to ", impl_->vocab_size - 1, "); were the ids made with another tokenizer?");
    }
    // A token with characters outside the byte-level alphabet is kept as its own UTF-8
    // text, as Hugging Face's ByteLevel decoder does.
    if (!byte_level::decode(regular->second, out)) out += regular->second;
  }
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (!impl_) return std::nullopt;
  const std::string key(token);
  if (auto it = impl_->added_by_content.find(key); it != impl_->added_by_content.end()) return it->second;
  if (auto it = impl_->model.vocab().find(key); it != impl_->model.vocab().end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (!impl_) return std::nullopt;
  if (auto it = impl_->added_by_id.find(id); it != impl_->added_by_id.end()) return it->second;
  if (auto it = impl_->regular_by_id.find(id); it != impl_->regular_by_id.end()) return it->second;
  return std::nullopt;
}

int32_t Tokenizer::vocab_size() const { return impl_ ? impl_->vocab_size : 0; }

const std::vector<Tokenizer::AddedToken>& Tokenizer::added_tokens() const {
  static const std::vector<AddedToken> kNone;
  return impl_ ? impl_->added : kNone;
}

size_t Tokenizer::regular_token_count() const { return impl_ ? impl_->regular_by_id.size() : 0; }

size_t Tokenizer::merge_count() const { return impl_ ? impl_->model.merge_count() : 0; }

const std::string& Tokenizer::source() const {
  static const std::string kNone;
  return impl_ ? impl_->source : kNone;
}

}  // namespace infilld::engine
