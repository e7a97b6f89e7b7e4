// Tests of the byte-level BPE tokenizer (src/engine/tokenizer/).
//
// Real vectors: llama.cpp's Qwen2 test strings with the ids of the reference Hugging Face
// tokenizer, checked with the Qwen2.5-Coder tokenizer.json and with Dream's vocab.json +
// merges.txt (from INFILLD_SHARED_DIR; those cases, or their parts, skip when it is absent:
// tests/skip.h).
// Everything else checks properties with small tokenizers written here.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "../skip.h"

namespace {

namespace fs = std::filesystem;
using infilld::Expected;
using infilld::engine::Tokenizer;
using Ids = std::vector<int32_t>;

const fs::path kShared = INFILLD_SHARED_DIR;
const fs::path kQwenDir = kShared / "data/checkpoints/qwen2.5-coder-0.5b-instruct";
const fs::path kDreamDir = kShared / "data/checkpoints/dream-v0-instruct-7b";
const fs::path kVectors = kShared / "data/tokenizers/llama.cpp-vectors/ggml-vocab-qwen2.gguf";

std::string slurp(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
}

// A real tokenizer, loaded once per process; nullptr (after a skip) when the shared folder
// is absent. A folder that is present but does not load is a failure.
const Tokenizer* real_tokenizer(const fs::path& dir) {
  if (!fs::exists(dir)) {
    infilld::test::skip(dir.string() + " is absent");
    return nullptr;
  }
  static std::map<std::string, Expected<Tokenizer>> cache;
  auto it = cache.find(dir.string());
  if (it == cache.end()) it = cache.emplace(dir.string(), Tokenizer::load(dir)).first;
  if (!it->second) FAIL("cannot load " << dir.string() << ": " << it->second.message());
  return &*it->second;
}

std::string bl(std::string_view bytes) { return infilld::engine::byte_level::encode(bytes); }

// A small byte-level tokenizer.json: the 256 byte characters (ids 0-255, in byte order),
// then one token per merge, in order. Merges are given in raw bytes.
struct TinySpec {
  std::vector<std::pair<std::string, std::string>> merges;
  bool merges_as_pairs = false;
  bool nfc = true;
  bool qwen_split = true;  // Qwen2 regex Split + ByteLevel; else a lone ByteLevel (GPT-2 regex)
  bool ignore_merges = false;
  std::vector<std::string> extra_tokens;  // raw bytes, added to the vocab without merges
  nlohmann::json added_tokens = nlohmann::json::array();
};

constexpr const char* kQwenRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::string tiny_json(const TinySpec& spec) {
  using nlohmann::json;
  json vocab = json::object();
  int id = 0;
  for (int b = 0; b < 256; ++b) vocab[infilld::engine::byte_level::byte_to_utf8(static_cast<uint8_t>(b))] = id++;
  json merges = json::array();
  for (const auto& [a, b] : spec.merges) {
    if (!vocab.contains(bl(a + b))) vocab[bl(a + b)] = id++;
    if (spec.merges_as_pairs) {
      merges.push_back(json::array({bl(a), bl(b)}));
    } else {
      merges.push_back(bl(a) + " " + bl(b));
    }
  }
  for (const auto& t : spec.extra_tokens) vocab[bl(t)] = id++;
  json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false},
                     {"use_regex", !spec.qwen_split}};
  json pre = byte_level;
  if (spec.qwen_split) {
    pre = {{"type", "Sequence"},
           {"pretokenizers",
            json::array({{{"type", "Split"}, {"pattern", {{"Regex", kQwenRegex}}}, {"behavior", "Isolated"}, {"invert", false}},
                         byte_level})}};
  }
  json root = {{"version", "1.0"},
               {"added_tokens", spec.added_tokens},
               {"normalizer", spec.nfc ? json{{"type", "NFC"}} : json(nullptr)},
               {"pre_tokenizer", pre},
               {"decoder", byte_level},
               {"model",
                {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"byte_fallback", false},
                 {"ignore_merges", spec.ignore_merges}, {"vocab", vocab}, {"merges", merges}}}};
  return root.dump();
}

Tokenizer tiny(const TinySpec& spec) {
  auto t = Tokenizer::from_tokenizer_json(tiny_json(spec));
  REQUIRE_MESSAGE(t, (t ? std::string() : t.message()));
  return *t;
}

TinySpec code_spec() {
  TinySpec spec;
  spec.merges = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {" w", "o"},
                 {"r", "l"}, {" wo", "rl"}, {" worl", "d"}, {" ", " "}, {"  ", "  "}, {"d", "e"},
                 {"de", "f"}, {"\n", "\n"}, {"i", "n"}, {" ", "in"}, {"o", "n"}, {"i", "on"}, {"t", "ion"}};
  return spec;
}

std::string decode_ok(const Tokenizer& t, const Ids& ids) {
  auto text = t.decode(ids);
  REQUIRE_MESSAGE(text, (text ? std::string() : text.message()));
  return *text;
}

std::vector<std::string> roundtrip_samples() {
  return {
      "def add(a, b):\n    return a + b\n",
      "#include <vector>\nint main() {\n\tstd::vector<int> v{1, 2, 3};\n\treturn v.size() > 2 ? 0 : 1;\n}\n",
      "fn main() -> Result<(), Box<dyn Error>> {\n    let s: &str = \"héllo\";\n    println!(\"{s:?}\");\n    Ok(())\n}\n",
      "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"世界\") }\n",
      "const f = async (x) => { await x?.y ?? 0; return `${x}`; };\r\n",
      "SELECT id, name FROM users WHERE name LIKE '%o''brien%';\n",
      "main :: IO ()\nmain = mapM_ print [x * x | x <- [1..10], odd x]\n",
      "(defun fact (n) (if (<= n 1) 1 (* n (fact (- n 1)))))",
      "#!/bin/sh\nfor f in *.txt; do echo \"$f\" | tr 'a-z' 'A-Z'; done\n",
      "line one\r\nline two\r\n\r\n\tindented\r\n",
      std::string(1000, ' '),
      std::string(1000, ' ') + "x",
      " \t \n\n\t\t  \r\n \x0b\x0c end",
      "\t\t\t\n\n\n   \t",
      "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs",
      "日本語のテキストと中文文本，还有한국어 텍스트。",
      "Ünïcödé ñ ø å ß Ω ∑ ∫ √ ∞ ≠ ≤ → ⇒",
      "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea?",
      "3.14159 1e-10 0xFF 1_000_000 ١٢٣ ⅷ ²",
      std::string("nul\0byte", 8),
      "\x01\x02\x7f control",
      "",
      "a",
  };
}

}  // namespace

TEST_CASE("tokenizer: Qwen2 test vectors match the Hugging Face ids (tokenizer.json and vocab.json + merges.txt)") {
  if (!fs::exists(kVectors.string() + ".inp")) {
    infilld::test::skip(kVectors.string() + ".inp is absent");
    return;
  }
  const std::string inputs = slurp(kVectors.string() + ".inp");
  const std::string outputs = slurp(kVectors.string() + ".out");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0;;) {
    const size_t end = inputs.find(separator, pos);
    if (end == std::string::npos) break;
    texts.push_back(inputs.substr(pos, end - pos));
    pos = end + separator.size();
  }
  std::vector<Ids> expected;
  std::istringstream lines(outputs);
  for (std::string line; std::getline(lines, line);) {
    Ids ids;
    std::istringstream numbers(line);
    for (int32_t id = 0; numbers >> id;) ids.push_back(id);
    expected.push_back(ids);
  }
  REQUIRE(texts.size() == 46);
  REQUIRE(expected.size() == texts.size());
  for (const fs::path& dir : {kQwenDir, kDreamDir}) {
    const Tokenizer* t = real_tokenizer(dir);
    if (t == nullptr) continue;
    for (size_t i = 0; i < texts.size(); ++i) {
      INFO(dir.filename().string(), " vector ", i, ": \"", texts[i], "\"");
      const Ids ids = t->encode(texts[i]);
      CHECK(ids == expected[i]);
      CHECK(decode_ok(*t, ids) == texts[i]);
    }
  }
}

TEST_CASE("tokenizer: real vocabularies have their published sizes and special tokens") {
  const Tokenizer* qwen = real_tokenizer(kQwenDir);
  const Tokenizer* dream = real_tokenizer(kDreamDir);
  for (const Tokenizer* t : {qwen, dream}) {
    if (t == nullptr) continue;
    INFO(t->source());
    CHECK(t->regular_token_count() == 151643);
    CHECK(t->merge_count() == 151387);
    CHECK(t->token_to_id("<|endoftext|>") == 151643);
    CHECK(t->token_to_id("<|fim_prefix|>") == 151659);
    CHECK(t->token_to_id("Hello") == 9707);
    CHECK(t->id_to_token(151643) == "<|endoftext|>");
    CHECK(t->id_to_token(21927) == "ĠHello");
    CHECK(t->id_to_token(200000) == std::nullopt);
    CHECK_FALSE(t->token_to_id("no such token").has_value());
    for (const auto& added : t->added_tokens()) {
      if (added.id >= 151643 && added.id <= 151656) CHECK_MESSAGE(added.special, added.content);
      if (added.id >= 151657 && added.id <= 151664) CHECK_MESSAGE(!added.special, added.content);
    }
    CHECK(t->encode("<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>") ==
          Ids{151659, 750, 282, 4555, 151661, 198, 151660});
  }
  if (qwen != nullptr) {
    CHECK(qwen->vocab_size() == 151665);
    CHECK(qwen->added_tokens().size() == 22);
    CHECK(qwen->added_tokens().front().id == 151643);
    CHECK(qwen->added_tokens().back().id == 151664);
  }
  if (dream != nullptr) {
    CHECK(dream->vocab_size() == 151667);
    CHECK(dream->added_tokens().size() == 24);
    CHECK(dream->token_to_id("<|mask|>") == 151666);
    CHECK(dream->token_to_id("<|beginoftext|>") == 151665);
    CHECK(dream->encode("x<|mask|><|mask|>y") == Ids{87, 151666, 151666, 88});
    CHECK(decode_ok(*dream, {151665, 151666}) == "<|beginoftext|><|mask|>");
  }
  if (qwen != nullptr && dream != nullptr) {
    // Qwen2.5 has no <|mask|>: there it is plain text.
    CHECK(qwen->encode("<|mask|>").size() > 1);
  }
}

TEST_CASE("tokenizer: tokenizer.json and vocab.json + merges.txt give identical ids for mixed code") {
  const Tokenizer* qwen = real_tokenizer(kQwenDir);
  const Tokenizer* dream = real_tokenizer(kDreamDir);
  if (qwen == nullptr || dream == nullptr) return;
  std::string text;
  for (const std::string& sample : roundtrip_samples()) text += sample + "\n";
  text += "Ame\xCC\x81lie caf\xC3\xA9 <|endoftext|> <|im_start|>user\nhi<|im_end|>\n";
  while (text.size() < 4096) text += text;
  const Ids a = qwen->encode(text);
  CHECK(a.size() > 500);
  CHECK(a == dream->encode(text));
}

TEST_CASE("tokenizer: decode(encode(x)) == x for code, whitespace, emoji and CJK") {
  std::vector<const Tokenizer*> tokenizers;
  const Tokenizer small = tiny(code_spec());
  tokenizers.push_back(&small);
  TinySpec gpt2 = code_spec();
  gpt2.qwen_split = false;
  const Tokenizer small_gpt2 = tiny(gpt2);
  tokenizers.push_back(&small_gpt2);
  if (const Tokenizer* qwen = real_tokenizer(kQwenDir)) tokenizers.push_back(qwen);
  if (const Tokenizer* dream = real_tokenizer(kDreamDir)) tokenizers.push_back(dream);
  for (const Tokenizer* t : tokenizers) {
    for (const std::string& text : roundtrip_samples()) {
      INFO(t->source(), ": \"", text, "\"");
      const Ids ids = t->encode(text);
      CHECK(ids.size() <= text.size());
      CHECK(decode_ok(*t, ids) == text);
    }
    const std::string spaces(100000, ' ');
    CHECK(decode_ok(*t, t->encode(spaces)) == spaces);
  }
  // Merges apply: "hello world" is two tokens in the small vocabulary.
  CHECK(small.encode("hello world") == Ids{*small.token_to_id(bl("hello")), *small.token_to_id(bl(" world"))});
}

TEST_CASE("tokenizer: NFC composes combining characters before BPE") {
  const std::string decomposed = "Ame\xCC\x81lie e\xCC\x81te\xCC\x81";  // e + U+0301
  const std::string composed = "Am\xC3\xA9lie \xC3\xA9t\xC3\xA9";       // U+00E9
  std::vector<const Tokenizer*> tokenizers;
  const Tokenizer small = tiny(code_spec());
  tokenizers.push_back(&small);
  if (const Tokenizer* qwen = real_tokenizer(kQwenDir)) tokenizers.push_back(qwen);
  if (const Tokenizer* dream = real_tokenizer(kDreamDir)) tokenizers.push_back(dream);
  for (const Tokenizer* t : tokenizers) {
    INFO(t->source());
    CHECK(t->encode(decomposed) == t->encode(composed));
    CHECK(decode_ok(*t, t->encode(decomposed)) == composed);
    // Hangul jamo compose into syllables; an already composed text is unchanged.
    CHECK(decode_ok(*t, t->encode("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB")) == "\xED\x95\x9C");
    CHECK(decode_ok(*t, t->encode("한국어")) == "한국어");
  }
  TinySpec no_nfc = code_spec();
  no_nfc.nfc = false;
  const Tokenizer raw = tiny(no_nfc);
  CHECK(decode_ok(raw, raw.encode(decomposed)) == decomposed);
}

TEST_CASE("tokenizer: added tokens are found inside text, longest first, with lstrip and rstrip") {
  if (const Tokenizer* qwen = real_tokenizer(kQwenDir)) {
    CHECK(qwen->encode("a<|endoftext|>b") == Ids{64, 151643, 65});
    CHECK(qwen->encode("<|endoftext|><|endoftext|>") == Ids{151643, 151643});
    const Ids broken = qwen->encode("<|endoftext|");  // incomplete: plain text
    CHECK(std::find(broken.begin(), broken.end(), 151643) == broken.end());
    CHECK(decode_ok(*qwen, qwen->encode("x <|im_start|> y")) == "x <|im_start|> y");
  }
  TinySpec spec = code_spec();
  spec.added_tokens = {
      {{"id", 300}, {"content", "<eos>"}, {"special", true}, {"lstrip", false}, {"rstrip", false},
       {"normalized", false}, {"single_word", false}},
      {{"content", "<eos><eos>"}, {"id", 301}, {"special", true}},  // key order and defaults vary
      {{"id", 302}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}},
      {{"id", 303}, {"content", "ing"}, {"special", false}, {"single_word", true}, {"normalized", false}},
      {{"id", 304}, {"content", "caf\xC3\xA9"}, {"special", false}, {"normalized", true}},
  };
  const Tokenizer t = tiny(spec);
  CHECK(t.vocab_size() == 305);
  CHECK(t.added_tokens().size() == 5);
  CHECK(t.token_to_id("<mask>") == 302);
  CHECK(t.id_to_token(301) == "<eos><eos>");
  const Ids a = t.encode("a");
  const Ids b = t.encode("b");
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(t.encode("a<eos>b") == Ids{a[0], 300, b[0]});
  CHECK(t.encode("a<eos><eos><eos>b") == Ids{a[0], 301, 300, b[0]});  // longest match first
  CHECK(t.encode("<eos><eo").front() == 300);                         // a partial longer match
  CHECK(decode_ok(t, t.encode("<eos><eo")) == "<eos><eo");
  CHECK(t.encode("a  <mask>  b") == Ids{a[0], 302, b[0]});           // whitespace absorbed
  CHECK(decode_ok(t, t.encode("a  <mask>  b")) == "a<mask>b");
  CHECK(t.encode("ing") == Ids{303});
  const Ids sing = t.encode("sing");  // inside a word: not the single_word token
  CHECK(std::find(sing.begin(), sing.end(), 303) == sing.end());
  const Ids spaced = t.encode("x ing.");
  CHECK(std::find(spaced.begin(), spaced.end(), 303) != spaced.end());
  // A normalized added token is found after NFC.
  CHECK(t.encode("cafe\xCC\x81") == Ids{304});
  CHECK(t.encode("caf\xC3\xA9") == Ids{304});
}

TEST_CASE("tokenizer: both merges forms (\"a b\" and [\"a\",\"b\"]) give the same ids") {
  TinySpec strings = code_spec();
  TinySpec pairs = code_spec();
  pairs.merges_as_pairs = true;
  CHECK(tiny_json(strings) != tiny_json(pairs));
  const Tokenizer a = tiny(strings);
  const Tokenizer b = tiny(pairs);
  for (const std::string& text : roundtrip_samples()) CHECK(a.encode(text) == b.encode(text));
  CHECK(a.encode("hello world") == Ids{*a.token_to_id(bl("hello")), *a.token_to_id(bl(" world"))});
}

TEST_CASE("tokenizer: vocab.json + merges.txt with or without a #version header") {
  const fs::path root = fs::temp_directory_path() / ("infilld_tokenizer_test_" + std::to_string(std::random_device{}()));
  const TinySpec spec = code_spec();
  const auto json = nlohmann::json::parse(tiny_json(spec));
  std::string merges;
  for (const auto& m : json["model"]["merges"]) merges += m.get<std::string>() + "\n";
  const Tokenizer reference = tiny(spec);
  for (const std::string& header : {std::string("#version: 0.2\n"), std::string()}) {
    const fs::path dir = root / (header.empty() ? "plain" : "header");
    fs::create_directories(dir);
    write_file(dir / "vocab.json", json["model"]["vocab"].dump());
    write_file(dir / "merges.txt", header + merges + "\n");
    write_file(dir / "added_tokens.json", R"({"<|endoftext|>": 400, "<|mask|>": 401})");
    write_file(dir / "tokenizer_config.json",
               R"({"added_tokens_decoder": {"400": {"content": "<|endoftext|>", "special": true,
                   "lstrip": false, "rstrip": false, "normalized": false, "single_word": false}},
                   "mask_token": "<|mask|>"})");
    auto t = Tokenizer::load(dir);
    REQUIRE_MESSAGE(t, (t ? std::string() : t.message()));
    CHECK(t->merge_count() == spec.merges.size());
    CHECK(t->vocab_size() == 402);
    REQUIRE(t->added_tokens().size() == 2);
    CHECK(t->added_tokens()[1].content == "<|mask|>");
    CHECK(t->added_tokens()[1].special);
    for (const std::string& text : roundtrip_samples()) CHECK(t->encode(text) == reference.encode(text));
    CHECK(t->encode("hello<|mask|>") == Ids{*t->token_to_id(bl("hello")), 401});
  }
  fs::remove_all(root);
}

TEST_CASE("tokenizer: invalid UTF-8 does not crash, is deterministic, and reads as U+FFFD") {
  std::vector<const Tokenizer*> tokenizers;
  const Tokenizer small = tiny(code_spec());
  tokenizers.push_back(&small);
  if (const Tokenizer* qwen = real_tokenizer(kQwenDir)) tokenizers.push_back(qwen);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xFF", "\xEF\xBF\xBD"},
      {"a\xC3", "a\xEF\xBF\xBD"},                                  // truncated
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                    // overlong: two subparts
      {"\xED\xA0\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"},  // encoded surrogate
      {"\xF0\x9F\x98", "\xEF\xBF\xBD"},                            // one maximal subpart
      {"ok \xE2\x82 \xF4\x90\x80\x80 end", "ok \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end"},
  };
  for (const Tokenizer* t : tokenizers) {
    for (const auto& [bad, repaired] : cases) {
      CHECK(t->encode(bad) == t->encode(repaired));
      CHECK(decode_ok(*t, t->encode(bad)) == repaired);
    }
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
      std::string bytes(rng() % 64, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
      const Ids first = t->encode(bytes);
      CHECK(first == t->encode(bytes));
      CHECK(t->decode(first));
    }
  }
}

TEST_CASE("tokenizer: missing or corrupt files give clear errors naming the file") {
  const fs::path root = fs::temp_directory_path() / ("infilld_tokenizer_errors_" + std::to_string(std::random_device{}()));
  fs::create_directories(root);
  auto load_error = [](const fs::path& dir) {
    auto t = Tokenizer::load(dir);
    REQUIRE_FALSE(t);
    return t.message();
  };
  auto json_error = [](const std::string& text) {
    auto t = Tokenizer::from_tokenizer_json(text);
    REQUIRE_FALSE(t);
    return t.message();
  };
  CHECK(load_error(root / "nope").find("does not exist") != std::string::npos);
  std::string message = load_error(root);
  CHECK(message.find("no tokenizer found in " + root.string()) != std::string::npos);
  CHECK(message.find("tokenizer.json or vocab.json + merges.txt") != std::string::npos);

  write_file(root / "vocab.json", R"({"a": 0})");
  CHECK(load_error(root).find("merges.txt") != std::string::npos);
  write_file(root / "merges.txt", "#version: 0.2\na b c\n");
  message = load_error(root);
  CHECK(message.find((root / "merges.txt").string() + ": line 2") != std::string::npos);
  write_file(root / "merges.txt", "a a\n");
  CHECK(load_error(root).find("\"aa\" is not in the vocab") != std::string::npos);
  write_file(root / "vocab.json", R"({"a": 0, )");
  message = load_error(root);
  CHECK(message.find((root / "vocab.json").string() + ": is not valid JSON") != std::string::npos);

  const std::string good = tiny_json(code_spec());
  write_file(root / "tokenizer.json", good.substr(0, good.size() / 2));
  message = load_error(root);
  CHECK(message.find((root / "tokenizer.json").string()) != std::string::npos);
  CHECK(message.find("not valid JSON") != std::string::npos);

  CHECK(json_error("").find("tokenizer.json: is not valid JSON") != std::string::npos);
  CHECK(json_error("[1, 2]").find("is not a JSON object") != std::string::npos);
  CHECK(json_error("{}").find("no \"model\"") != std::string::npos);
  auto with = [&good](const std::string& pointer, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(good);
    j[nlohmann::json::json_pointer(pointer)] = value;
    return j.dump();
  };
  CHECK(json_error(with("/model/merges/1", 5)) == "tokenizer.json: merges[1] is not \"a b\" or [\"a\",\"b\"]");
  CHECK(json_error(with("/model/merges/0", "a b c")).find("merges[0] is not") != std::string::npos);
  CHECK(json_error(with("/model/merges/2", nlohmann::json::array({"h"}))).find("merges[2]") != std::string::npos);
  CHECK(json_error(with("/model/merges/0", "q zz")).find("\"zz\" is not in the vocab") != std::string::npos);
  CHECK(json_error(with("/model/vocab/a", "x")).find("model.vocab[\"a\"] is not a token id") != std::string::npos);
  CHECK(json_error(with("/model/vocab/a", -3)).find("is not a token id") != std::string::npos);
  CHECK(json_error(with("/model/vocab/a", 7)).find("both have id 7") != std::string::npos);
  CHECK(json_error(with("/model/type", "Unigram")).find("only BPE") != std::string::npos);
  CHECK(json_error(with("/normalizer", {{"type", "Lowercase"}})).find("normalizer type \"Lowercase\" is not supported") !=
        std::string::npos);
  CHECK(json_error(with("/pre_tokenizer", nullptr)).find("no ByteLevel") != std::string::npos);
  CHECK(json_error(with("/pre_tokenizer/pretokenizers/0/pattern/Regex", "(unclosed"))
            .find("cannot compile the regular expression") != std::string::npos);
  CHECK(json_error(with("/added_tokens", {{{"id", 1}}})).find("added_tokens[0].content") != std::string::npos);
  CHECK(json_error(with("/decoder", {{"type", "WordPiece"}})).find("decoder type") != std::string::npos);
  // Deeply nested garbage is an error, not a crash.
  CHECK_FALSE(Tokenizer::from_tokenizer_json(std::string(100000, '[')));
  CHECK_FALSE(Tokenizer::from_tokenizer_json(std::string(100000, '[') + std::string(100000, ']')));
  CHECK_FALSE(Tokenizer::from_tokenizer_json(with("/normalizer", nlohmann::json::parse(
      std::string(2000, '[') + std::string(2000, ']')))));
  fs::remove_all(root);
}

TEST_CASE("tokenizer: decoding an unknown id is an error") {
  const Tokenizer t = tiny(code_spec());
  auto bad = t.decode(Ids{0, 100000});
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find("id 100000 (position 1) is not a token of tokenizer.json") != std::string::npos);
  CHECK_FALSE(t.decode(Ids{-1}));
  CHECK(decode_ok(t, {}).empty());
  CHECK(t.encode("").empty());
}

TEST_CASE("tokenizer: ignore_merges maps a piece that is a token directly to it") {
  TinySpec spec;
  spec.merges = {{"a", "b"}};
  spec.extra_tokens = {"abc", " xyz"};  // in the vocab, but no merges lead there
  const Tokenizer plain = tiny(spec);
  spec.ignore_merges = true;
  const Tokenizer direct = tiny(spec);
  const int32_t abc = *plain.token_to_id(bl("abc"));
  CHECK(plain.encode("abc") == Ids{*plain.token_to_id(bl("ab")), *plain.token_to_id(bl("c"))});
  CHECK(direct.encode("abc") == Ids{abc});
  CHECK(direct.encode("abc xyz") == Ids{abc, *direct.token_to_id(bl(" xyz"))});
  CHECK(direct.encode("abcd") == Ids{*direct.token_to_id(bl("ab")), *direct.token_to_id(bl("c")),
                                     *direct.token_to_id(bl("d"))});
}

TEST_CASE("tokenizer: merges go by rank, lowest first, leftmost among equals") {
  TinySpec spec;
  spec.merges = {{"b", "c"}, {"a", "b"}, {"a", "a"}};
  const Tokenizer t = tiny(spec);
  const int32_t bc = *t.token_to_id(bl("bc"));
  const int32_t a = *t.token_to_id("a");
  const int32_t aa = *t.token_to_id(bl("aa"));
  CHECK(t.encode("abc") == Ids{a, bc});            // "b c" outranks "a b"
  CHECK(t.encode("aaa") == Ids{aa, a});            // leftmost first
  CHECK(t.encode("aaaaa") == Ids{aa, aa, a});
}

TEST_CASE("tokenizer: encoding is thread-safe") {
  const Tokenizer t = tiny(code_spec());
  std::string text;
  for (const std::string& s : roundtrip_samples()) text += s;
  const Ids expected = t.encode(text);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        if (t.encode(text) != expected) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches.load() == 0);
}
