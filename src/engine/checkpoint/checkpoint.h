// A Hugging Face checkpoint folder as its authors publish it: config.json,
// generation_config.json (optional), tokenizer files, and either model.safetensors or the
// shards listed by model.safetensors.index.json. Tensors are found by name across shards.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/checkpoint/safetensors.h"

namespace infilld::engine {

class Checkpoint {
 public:
  // Reads and validates config.json and every weight file's header (not the weights).
  static Expected<Checkpoint> open(const std::filesystem::path& dir);
  // Reads only config.json and generation_config.json: enough for the tokenizer and `info`
  // questions that do not need weights.
  static Expected<Checkpoint> open_config_only(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& config() const { return config_; }
  // Empty object when the folder has no generation_config.json.
  const nlohmann::json& generation_config() const { return generation_config_; }

  // nullptr when absent.
  const TensorView* find(const std::string& name) const;
  const std::map<std::string, const TensorView*>& tensors() const { return by_name_; }
  const std::vector<std::filesystem::path>& weight_files() const { return weight_files_; }
  // Whether every mapped weight file is still the one loaded: an error naming the first
  // that was truncated, rewritten, replaced or removed (the model must be loaded again).
  Status check_files() const {
    for (const auto& f : files_) INFILLD_TRY(f->check());
    return Status::ok();
  }

 private:
  Status load_configs();
  Status load_weights();

  std::filesystem::path dir_;
  nlohmann::json config_;
  nlohmann::json generation_config_ = nlohmann::json::object();
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::filesystem::path> weight_files_;
  std::map<std::string, const TensorView*> by_name_;
};

// Parses a JSON file into an object, with the file named in every error.
Expected<nlohmann::json> read_json_object(const std::filesystem::path& path);

}  // namespace infilld::engine
