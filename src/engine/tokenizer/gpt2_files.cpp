// Reading a GPT-2 style tokenizer: vocab.json + merges.txt, with added tokens from
// added_tokens.json and tokenizer_config.json's added_tokens_decoder (all that Dream
// publishes). The pre-tokenizer and normalizer are Qwen2's (its regex, then NFC), as
// Qwen2TokenizerFast builds them, unless tokenizer_config.json names a GPT-2 tokenizer
// class, in which case GPT-2's regex applies and there is no normalization.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer_spec.h"

namespace infilld::engine {

namespace {

using nlohmann::json;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Expected<json> read_json(const std::string& path) {
  auto text = read_file(path);
  INFILLD_TRY(text);
  try {
    return json::parse(text->begin(), text->end());
  } catch (const json::exception& e) {
    return error(path, ": is not valid JSON (", e.what(), "); the file is corrupt or truncated, download it again");
  }
}

bool to_id(const json& value, int32_t* id) {
  if (!value.is_number_integer()) return false;
  const auto v = value.get<int64_t>();
  if (v < 0 || v >= std::numeric_limits<int32_t>::max()) return false;
  *id = static_cast<int32_t>(v);
  return true;
}

Status read_vocab(const std::string& path, TokenizerSpec& spec) {
  auto root = read_json(path);
  INFILLD_TRY(root);
  if (!root->is_object()) return error(path, ": is not a JSON object of token -> id");
  spec.vocab.reserve(root->size());
  for (auto it = root->begin(); it != root->end(); ++it) {
    int32_t id = 0;
    if (!to_id(it.value(), &id)) {
      return error(path, ": the id of ", json(it.key()).dump(), " is not an integer from 0 to 2147483646");
    }
    spec.vocab.emplace_back(it.key(), id);
  }
  return Status::ok();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// One merge per line, "a b"; a first line "#version: ..." and blank lines are skipped.
Status read_merges(const std::string& path, TokenizerSpec& spec) {
  auto text = read_file(path);
  INFILLD_TRY(text);
  std::string_view rest = *text;
  size_t line_number = 0;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line_number;
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    size_t split = 0;
    while (split < line.size() && !is_space(line[split])) ++split;
    size_t second = split;
    while (second < line.size() && is_space(line[second])) ++second;
    size_t end = second;
    while (end < line.size() && !is_space(line[end])) ++end;
    if (second == line.size() || end != line.size()) {
      return error(path, ": line ", line_number, " is not a merge \"a b\" (two tokens separated by a space)");
    }
    spec.merges.emplace_back(std::string(line.substr(0, split)), std::string(line.substr(second)));
  }
  return Status::ok();
}

// The names of special tokens in tokenizer_config.json (bos_token, additional_special_tokens, ...).
void collect_special_names(const json& config, std::set<std::string>& names) {
  auto add = [&names](const json& v) {
    if (v.is_string()) names.insert(v.get<std::string>());
    if (v.is_object() && v.contains("content") && v["content"].is_string()) names.insert(v["content"].get<std::string>());
  };
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    if (auto it = config.find(key); it != config.end()) add(*it);
  }
  if (auto it = config.find("additional_special_tokens"); it != config.end() && it->is_array()) {
    for (const json& v : *it) add(v);
  }
}

Status read_added_tokens_decoder(const json& config, const std::string& path,
                                 std::map<int32_t, AddedTokenSpec>& tokens) {
  auto decoder = config.find("added_tokens_decoder");
  if (decoder == config.end() || decoder->is_null()) return Status::ok();
  if (!decoder->is_object()) return error(path, ": added_tokens_decoder is not an object of id -> token");
  for (auto it = decoder->begin(); it != decoder->end(); ++it) {
    const std::string& key = it.key();
    int32_t id = -1;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    const json& t = it.value();
    if (ec != std::errc() || end != key.data() + key.size() || id < 0 || id == std::numeric_limits<int32_t>::max()) {
      return error(path, ": added_tokens_decoder key ", json(key).dump(), " is not a token id");
    }
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string()) {
      return error(path, ": added_tokens_decoder[\"", key, "\"] has no \"content\" string");
    }
    AddedTokenSpec token;
    token.id = id;
    token.content = t["content"].get<std::string>();
    auto flag = [&t](const char* name, bool fallback) {
      auto f = t.find(name);
      return f != t.end() && f->is_boolean() ? f->get<bool>() : fallback;
    };
    token.special = flag("special", false);
    token.lstrip = flag("lstrip", false);
    token.rstrip = flag("rstrip", false);
    token.single_word = flag("single_word", false);
    token.normalized = flag("normalized", !token.special);
    tokens[id] = std::move(token);
  }
  return Status::ok();
}

Expected<TokenizerSpec> read_gpt2_files_unchecked(const std::string& dir);

}  // namespace

Expected<std::string> read_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return error("cannot read ", path, ": ", std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) return error("cannot read ", path, ": read error");
  return text;
}

Expected<TokenizerSpec> read_gpt2_files(const std::string& dir) {
  // The readers check types before every access; this is a safety net for the unexpected.
  try {
    return read_gpt2_files_unchecked(dir);
  } catch (const std::exception& e) {
    return error("cannot read the tokenizer files in ", dir, " (", e.what(), ")");
  }
}

namespace {

Expected<TokenizerSpec> read_gpt2_files_unchecked(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string vocab_path = (fs::path(dir) / "vocab.json").string();
  const std::string merges_path = (fs::path(dir) / "merges.txt").string();
  const std::string added_path = (fs::path(dir) / "added_tokens.json").string();
  const std::string config_path = (fs::path(dir) / "tokenizer_config.json").string();
  TokenizerSpec spec;
  spec.source = vocab_path;
  spec.merges_source = merges_path;
  INFILLD_TRY(read_vocab(vocab_path, spec));
  INFILLD_TRY(read_merges(merges_path, spec));

  std::map<int32_t, AddedTokenSpec> tokens;
  std::set<std::string> special_names;
  std::string tokenizer_class;
  bool add_prefix_space = false;
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    auto config = read_json(config_path);
    INFILLD_TRY(config);
    if (!config->is_object()) return error(config_path, ": is not a JSON object");
    INFILLD_TRY(read_added_tokens_decoder(*config, config_path, tokens));
    collect_special_names(*config, special_names);
    if (auto it = config->find("tokenizer_class"); it != config->end() && it->is_string()) {
      tokenizer_class = it->get<std::string>();
    }
    if (auto it = config->find("add_prefix_space"); it != config->end() && it->is_boolean()) {
      add_prefix_space = it->get<bool>();
    }
  }
  if (fs::exists(added_path, ec)) {
    auto added = read_json(added_path);
    INFILLD_TRY(added);
    if (!added->is_object()) return error(added_path, ": is not a JSON object of token -> id");
    for (auto it = added->begin(); it != added->end(); ++it) {
      int32_t id = 0;
      if (!to_id(it.value(), &id)) {
        return error(added_path, ": the id of ", json(it.key()).dump(), " is not an integer from 0 to 2147483646");
      }
      auto known = tokens.find(id);
      if (known != tokens.end()) {
        if (known->second.content != it.key()) {
          return error(added_path, ": id ", id, " is ", json(it.key()).dump(), " but ", config_path,
                       " says it is ", json(known->second.content).dump(), "; the files do not belong together");
        }
        continue;
      }
      AddedTokenSpec token;
      token.id = id;
      token.content = it.key();
      token.special = special_names.contains(token.content);
      token.normalized = !token.special;
      tokens[id] = std::move(token);
    }
  }
  for (auto& [id, token] : tokens) spec.added_tokens.push_back(std::move(token));

  PreTokenizerStepSpec byte_level_step;
  byte_level_step.where = "ByteLevel pre-tokenizer";
  if (tokenizer_class == "GPT2Tokenizer" || tokenizer_class == "GPT2TokenizerFast") {
    byte_level_step.kind = PreTokenizerStepSpec::Kind::kRegex;
    byte_level_step.pattern = std::string(kGpt2Pattern);
    byte_level_step.add_prefix_space = add_prefix_space;
  } else {
    PreTokenizerStepSpec split;
    split.kind = PreTokenizerStepSpec::Kind::kRegex;
    split.pattern = std::string(kQwen2Pattern);
    split.where = "Qwen2 pre-tokenizer pattern";
    spec.pre_tokenizer.push_back(std::move(split));
    spec.normalizers.push_back(unicode::NormalizationForm::kNFC);
  }
  spec.pre_tokenizer.push_back(std::move(byte_level_step));
  return spec;
}

}  // namespace

}  // namespace infilld::engine
