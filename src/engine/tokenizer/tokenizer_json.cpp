// Reading a Hugging Face tokenizer.json (the "fast tokenizer" file) into a TokenizerSpec.
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer_spec.h"

namespace infilld::engine {

namespace {

using nlohmann::json;

constexpr int kMaxNesting = 32;  // Sequence normalizers / pre-tokenizers inside each other

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string type_of(const json& value) {
  const json* type = member(value, "type");
  return type != nullptr && type->is_string() ? type->get<std::string>() : std::string();
}

// A boolean field that may be absent or null (giving fallback).
Expected<bool> get_bool(const json& object, const char* key, bool fallback, const std::string& where,
                        const std::string& path) {
  const json* value = member(object, key);
  if (value == nullptr || value->is_null()) return fallback;
  if (!value->is_boolean()) return error(where, ": ", path, ".", key, " is not true or false");
  return value->get<bool>();
}

// A token id: an integer from 0 to 2^31 - 2 (so that 1 + the largest id fits in int32).
bool get_id(const json& value, int32_t* id) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<uint64_t>();
    if (v >= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return false;
    *id = static_cast<int32_t>(v);
    return true;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<int64_t>();
    if (v < 0 || v >= std::numeric_limits<int32_t>::max()) return false;
    *id = static_cast<int32_t>(v);
    return true;
  }
  return false;
}

Status read_model(const json& root, const std::string& where, TokenizerSpec& spec) {
  const json* model = member(root, "model");
  if (model == nullptr || !model->is_object()) {
    return error(where, ": has no \"model\" object; is this a Hugging Face tokenizer.json?");
  }
  if (const json* type = member(*model, "type"); type != nullptr) {
    if (!type->is_string() || type->get<std::string>() != "BPE") {
      return error(where, ": model.type is ", type->dump(),
                   ": only BPE tokenizers (byte-level, like Qwen2's) are supported");
    }
  }
  const json* vocab = member(*model, "vocab");
  if (vocab == nullptr || !vocab->is_object()) {
    return error(where, ": model.vocab is missing or not an object of token -> id");
  }
  spec.vocab.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    int32_t id = 0;
    if (!get_id(it.value(), &id)) {
      return error(where, ": model.vocab[", json(it.key()).dump(),
                   "] is not a token id (an integer from 0 to 2147483646)");
    }
    spec.vocab.emplace_back(it.key(), id);
  }
  if (const json* merges = member(*model, "merges"); merges != nullptr && !merges->is_null()) {
    if (!merges->is_array()) return error(where, ": model.merges is not a list");
    spec.merges.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      const json& m = (*merges)[i];
      if (m.is_string()) {
        const std::string& s = m.get_ref<const std::string&>();
        const size_t space = s.find(' ');
        if (space != std::string::npos && s.find(' ', space + 1) == std::string::npos) {
          spec.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
          continue;
        }
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        continue;
      }
      return error(where, ": merges[", i, "] is not \"a b\" or [\"a\",\"b\"]");
    }
  }
  if (const json* dropout = member(*model, "dropout"); dropout != nullptr && !dropout->is_null()) {
    if (!dropout->is_number() || dropout->get<double>() != 0.0) {
      return error(where, ": model.dropout is set: BPE dropout (random merges) is not supported; set it to null");
    }
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json* value = member(*model, key);
    if (value != nullptr && !value->is_null() && !(value->is_string() && value->get_ref<const std::string&>().empty())) {
      return error(where, ": model.", key, " is set: only byte-level BPE without subword markers is supported");
    }
  }
  if (const json* unk = member(*model, "unk_token"); unk != nullptr && !unk->is_null()) {
    if (!unk->is_string()) return error(where, ": model.unk_token is not a string or null");
    spec.bpe.unk_token = unk->get<std::string>();
  }
  auto fuse_unk = get_bool(*model, "fuse_unk", false, where, "model");
  auto byte_fallback = get_bool(*model, "byte_fallback", false, where, "model");
  auto ignore_merges = get_bool(*model, "ignore_merges", false, where, "model");
  for (const auto* flag : {&fuse_unk, &byte_fallback, &ignore_merges}) INFILLD_TRY(*flag);
  spec.bpe.fuse_unk = *fuse_unk;
  spec.bpe.byte_fallback = *byte_fallback;
  spec.bpe.ignore_merges = *ignore_merges;
  return Status::ok();
}

Status read_added_tokens(const json& root, const std::string& where, TokenizerSpec& spec) {
  const json* added = member(root, "added_tokens");
  if (added == nullptr || added->is_null()) return Status::ok();
  if (!added->is_array()) return error(where, ": added_tokens is not a list");
  for (size_t i = 0; i < added->size(); ++i) {
    const json& t = (*added)[i];
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    const json* id = member(t, "id");
    const json* content = member(t, "content");
    AddedTokenSpec token;
    if (id == nullptr || !get_id(*id, &token.id)) {
      return error(where, ": ", path, ".id is missing or not a token id");
    }
    if (content == nullptr || !content->is_string()) {
      return error(where, ": ", path, ".content is missing or not a string");
    }
    token.content = content->get<std::string>();
    auto special = get_bool(t, "special", false, where, path);
    INFILLD_TRY(special);
    token.special = *special;
    auto lstrip = get_bool(t, "lstrip", false, where, path);
    auto rstrip = get_bool(t, "rstrip", false, where, path);
    auto single_word = get_bool(t, "single_word", false, where, path);
    auto normalized = get_bool(t, "normalized", !token.special, where, path);
    for (const auto* flag : {&lstrip, &rstrip, &single_word, &normalized}) INFILLD_TRY(*flag);
    token.lstrip = *lstrip;
    token.rstrip = *rstrip;
    token.single_word = *single_word;
    token.normalized = *normalized;
    spec.added_tokens.push_back(std::move(token));
  }
  return Status::ok();
}

Status read_normalizer(const json& n, const std::string& where, const std::string& path, int depth,
                       TokenizerSpec& spec) {
  if (n.is_null()) return Status::ok();
  if (depth > kMaxNesting) return error(where, ": ", path, " is nested too deeply");
  const std::string type = type_of(n);
  if (type == "NFC") {
    spec.normalizers.push_back(unicode::NormalizationForm::kNFC);
  } else if (type == "NFD") {
    spec.normalizers.push_back(unicode::NormalizationForm::kNFD);
  } else if (type == "NFKC") {
    spec.normalizers.push_back(unicode::NormalizationForm::kNFKC);
  } else if (type == "NFKD") {
    spec.normalizers.push_back(unicode::NormalizationForm::kNFKD);
  } else if (type == "Sequence") {
    const json* list = member(n, "normalizers");
    if (list == nullptr || !list->is_array()) return error(where, ": ", path, ".normalizers is not a list");
    for (size_t i = 0; i < list->size(); ++i) {
      INFILLD_TRY(read_normalizer((*list)[i], where, path + ".normalizers[" + std::to_string(i) + "]",
                                  depth + 1, spec));
    }
  } else {
    return error(where, ": ", path, " type ", type.empty() ? std::string("(none)") : "\"" + type + "\"",
                 " is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence, or null)");
  }
  return Status::ok();
}

Status read_pre_tokenizer(const json& p, const std::string& where, const std::string& path, int depth,
                          TokenizerSpec& spec, bool* byte_level) {
  if (depth > kMaxNesting) return error(where, ": ", path, " is nested too deeply");
  const std::string type = type_of(p);
  PreTokenizerStepSpec step;
  step.where = path;
  if (type == "Sequence") {
    const json* list = member(p, "pretokenizers");
    if (list == nullptr || !list->is_array()) return error(where, ": ", path, ".pretokenizers is not a list");
    for (size_t i = 0; i < list->size(); ++i) {
      INFILLD_TRY(read_pre_tokenizer((*list)[i], where, path + ".pretokenizers[" + std::to_string(i) + "]",
                                     depth + 1, spec, byte_level));
    }
    return Status::ok();
  }
  if (type == "ByteLevel") {
    auto prefix = get_bool(p, "add_prefix_space", true, where, path);
    auto use_regex = get_bool(p, "use_regex", true, where, path);
    INFILLD_TRY(prefix);
    INFILLD_TRY(use_regex);
    step.add_prefix_space = *prefix;
    if (*use_regex) {
      step.kind = PreTokenizerStepSpec::Kind::kRegex;
      step.pattern = std::string(kGpt2Pattern);
    }
    *byte_level = true;
  } else if (type == "Split") {
    const json* pattern = member(p, "pattern");
    const json* regex = pattern != nullptr ? member(*pattern, "Regex") : nullptr;
    const json* literal = pattern != nullptr ? member(*pattern, "String") : nullptr;
    if (regex != nullptr && regex->is_string()) {
      step.kind = PreTokenizerStepSpec::Kind::kRegex;
      step.pattern = regex->get<std::string>();
    } else if (literal != nullptr && literal->is_string()) {
      step.kind = PreTokenizerStepSpec::Kind::kLiteral;
      step.pattern = literal->get<std::string>();
    } else {
      return error(where, ": ", path, ".pattern is not {\"Regex\": \"...\"} or {\"String\": \"...\"}");
    }
    step.where += ".pattern";
    const json* behavior = member(p, "behavior");
    if (behavior == nullptr || !behavior->is_string() || behavior->get<std::string>() != "Isolated") {
      return error(where, ": ", path, ".behavior is ", behavior == nullptr ? std::string("missing") : behavior->dump(),
                   ": only \"Isolated\" is supported");
    }
    auto invert = get_bool(p, "invert", false, where, path);
    INFILLD_TRY(invert);
    if (*invert) return error(where, ": ", path, ".invert is true: only false is supported");
  } else if (type == "Digits") {
    auto individual = get_bool(p, "individual_digits", false, where, path);
    INFILLD_TRY(individual);
    step.kind = PreTokenizerStepSpec::Kind::kRegex;
    step.pattern = *individual ? R"(\p{N})" : R"(\p{N}+)";
  } else {
    return error(where, ": ", path, " type ", type.empty() ? std::string("(none)") : "\"" + type + "\"",
                 " is not supported (supported: ByteLevel, Split, Digits, Sequence)");
  }
  spec.pre_tokenizer.push_back(std::move(step));
  return Status::ok();
}

Status read_decoder(const json& root, const std::string& where) {
  const json* decoder = member(root, "decoder");
  if (decoder == nullptr || decoder->is_null()) return Status::ok();
  const std::string type = type_of(*decoder);
  if (type != "ByteLevel") {
    return error(where, ": decoder type ", type.empty() ? std::string("(none)") : "\"" + type + "\"",
                 " is not supported (expected ByteLevel)");
  }
  return Status::ok();
}

Expected<TokenizerSpec> read_root(const json& root, const std::string& where) {
  if (!root.is_object()) return error(where, ": is not a JSON object; is this a Hugging Face tokenizer.json?");
  TokenizerSpec spec;
  spec.source = where;
  INFILLD_TRY(read_model(root, where, spec));
  INFILLD_TRY(read_added_tokens(root, where, spec));
  if (const json* n = member(root, "normalizer"); n != nullptr) {
    INFILLD_TRY(read_normalizer(*n, where, "normalizer", 0, spec));
  }
  bool byte_level = false;
  if (const json* p = member(root, "pre_tokenizer"); p != nullptr && !p->is_null()) {
    INFILLD_TRY(read_pre_tokenizer(*p, where, "pre_tokenizer", 0, spec, &byte_level));
  }
  if (!byte_level) {
    return error(where, ": the pre_tokenizer has no ByteLevel step: only byte-level BPE tokenizers "
                        "(GPT-2, Qwen2 style) are supported");
  }
  INFILLD_TRY(read_decoder(root, where));
  return spec;
}

}  // namespace

Expected<TokenizerSpec> parse_tokenizer_json(std::string_view text, const std::string& where) {
  try {
    const json root = json::parse(text.begin(), text.end());
    return read_root(root, where);
  } catch (const json::exception& e) {
    return error(where, ": is not valid JSON (", e.what(), "); the file is corrupt or truncated, download it again");
  } catch (const std::exception& e) {
    return error(where, ": cannot be read (", e.what(), ")");
  }
}

}  // namespace infilld::engine
