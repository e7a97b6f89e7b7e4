// The loader against the text files of real published checkpoints in ../shared/data
// (configs, indexes, tokenizers; no weights). Skips (tests/skip.h) when ../shared is absent.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "engine/checkpoint/checkpoint.h"
#include "engine/models/architecture.h"
#include "engine/models/tensor_names.h"
#include "engine/tokenizer/tokenizer.h"
#include "../skip.h"

using namespace infilld::engine;
namespace fs = std::filesystem;

namespace {

fs::path real_dir(const char* name) { return fs::path(INFILLD_SHARED_DIR) / "data" / "checkpoints" / name; }

bool skip_without(const fs::path& dir) {
  if (fs::exists(dir / "config.json")) return false;
  infilld::test::skip(dir.string() + " is absent");
  return true;
}

infilld::Expected<ModelConfig> read_config(const fs::path& dir) {
  auto checkpoint = Checkpoint::open_config_only(dir);
  REQUIRE(checkpoint.is_ok());
  TokenLookup lookup;
  std::shared_ptr<Tokenizer> tokenizer;
  if (fs::exists(dir / "tokenizer.json") || fs::exists(dir / "vocab.json")) {
    auto loaded = Tokenizer::load(dir);
    REQUIRE(loaded.is_ok());
    tokenizer = std::make_shared<Tokenizer>(std::move(*loaded));
    lookup = [tokenizer](std::string_view s) { return tokenizer->token_to_id(s); };
  }
  return read_model_config(checkpoint->config(), checkpoint->generation_config(), lookup);
}

// Every name in the real index is one our table produces, and every name the table
// produces for this config is in the index.
void check_names_match_index(const fs::path& dir, const ModelConfig& c) {
  auto index = read_json_object(dir / "model.safetensors.index.json");
  REQUIRE(index.is_ok());
  std::set<std::string> real;
  for (const auto& [name, file] : (*index)["weight_map"].items()) real.insert(name);
  std::set<std::string> ours;
  const TensorRole global[] = {TensorRole::TokenEmbedding, TensorRole::FinalNorm, TensorRole::LmHead};
  for (TensorRole r : global)
    if (!(r == TensorRole::LmHead && c.tied_embeddings)) ours.insert(tensor_name(c.arch, r));
  for (int64_t l = 0; l < c.n_layers; ++l)
    for (int r = int(TensorRole::AttnNorm); r <= int(TensorRole::Down); ++r) {
      const auto role = TensorRole(r);
      const bool bias = role == TensorRole::QBias || role == TensorRole::KBias || role == TensorRole::VBias;
      if (!bias || c.qkv_bias) ours.insert(tensor_name(c.arch, role, l));
    }
  CHECK(real == ours);
}

}  // namespace

TEST_CASE("real checkpoints: Dream configs read with the published ids") {
  for (const char* name : {"dream-v0-instruct-7b", "dream-v0-base-7b"}) {
    const fs::path dir = real_dir(name);
    if (skip_without(dir)) continue;
    CAPTURE(name);
    auto c = read_config(dir);
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? "" : c.message()));
    CHECK(c->arch == Architecture::Dream);
    CHECK(c->n_embd == 3584);
    CHECK(c->n_layers == 28);
    CHECK(c->n_heads == 28);
    CHECK(c->n_kv_heads == 4);
    CHECK(c->head_dim == 128);
    CHECK(c->n_ff == 18944);
    CHECK(c->n_vocab == 152064);
    CHECK(c->rope_theta == 1e6);
    CHECK(c->shifted_logits);
    CHECK(c->qkv_bias);
    CHECK_FALSE(c->tied_embeddings);
    CHECK(c->tokens.mask == 151666);
    CHECK(c->tokens.eos == 151643);
    CHECK(c->tokens.pad == 151643);
    check_names_match_index(dir, *c);
  }
}

TEST_CASE("real checkpoints: LLaDA config reads with its own spelling and names") {
  const fs::path dir = real_dir("llada-8b-instruct");
  if (skip_without(dir)) return;
  auto c = read_config(dir);
  REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? "" : c.message()));
  CHECK(c->arch == Architecture::LLaDA);
  CHECK(c->n_embd == 4096);
  CHECK(c->n_layers == 32);
  CHECK(c->n_heads == 32);
  CHECK(c->n_kv_heads == 32);
  CHECK(c->n_ff == 12288);
  CHECK(c->n_vocab == 126464);
  CHECK(c->rope_theta == 5e5);
  CHECK(c->norm_eps == 1e-5);
  CHECK_FALSE(c->shifted_logits);
  CHECK_FALSE(c->qkv_bias);
  CHECK(c->tokens.mask == 126336);
  CHECK(c->tokens.eos == 126081);
  check_names_match_index(dir, *c);
}

TEST_CASE("real checkpoints: an autoregressive Qwen2 folder is refused with the reason") {
  const fs::path dir = real_dir("qwen2.5-coder-0.5b-instruct");
  if (skip_without(dir)) return;
  auto c = read_config(dir);
  REQUIRE_FALSE(c.is_ok());
  CHECK(c.message().find("autoregressive") != std::string::npos);
}

TEST_CASE("real checkpoints: Qwen2.5-Coder's config with a mask token reads as Open-dCoder") {
  // Open-dCoder is Qwen2.5-Coder-0.5B trained for masked diffusion: the same config.json
  // plus a mask token added to the tokenizer.
  const fs::path dir = real_dir("qwen2.5-coder-0.5b-instruct");
  if (skip_without(dir)) return;
  auto checkpoint = Checkpoint::open_config_only(dir);
  REQUIRE(checkpoint.is_ok());
  auto tokenizer = Tokenizer::load(dir);
  REQUIRE(tokenizer.is_ok());
  const int32_t mask_id = tokenizer->vocab_size();  // the next free id, as adding <M> gives
  TokenLookup lookup = [&](std::string_view s) -> std::optional<int32_t> {
    if (s == "<M>") return mask_id;
    return tokenizer->token_to_id(s);
  };
  auto c = read_model_config(checkpoint->config(), checkpoint->generation_config(), lookup);
  REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? "" : c.message()));
  CHECK(c->arch == Architecture::Qwen2Mdm);
  CHECK(c->n_embd == 896);
  CHECK(c->n_layers == 24);
  CHECK(c->n_heads == 14);
  CHECK(c->n_kv_heads == 2);
  CHECK(c->head_dim == 64);
  CHECK(c->n_ff == 4864);
  CHECK(c->n_vocab == 151936);
  CHECK(c->tied_embeddings);
  CHECK(c->shifted_logits);
  CHECK(c->tokens.mask == mask_id);
  CHECK(c->tokens.bos == 151643);
  CHECK(c->tokens.eos == 151645);
}
