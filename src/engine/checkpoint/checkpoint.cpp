#include "engine/checkpoint/checkpoint.h"

#include <set>

#include "common/mapped_file.h"

namespace infilld::engine {

namespace fs = std::filesystem;
using nlohmann::json;

Expected<json> read_json_object(const fs::path& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error(path.string(), ": not valid JSON");
  if (!j.is_object()) return error(path.string(), ": expected a JSON object");
  return j;
}

Expected<Checkpoint> Checkpoint::open_config_only(const fs::path& dir) {
  Checkpoint c;
  c.dir_ = dir;
  INFILLD_TRY(c.load_configs());
  return c;
}

Expected<Checkpoint> Checkpoint::open(const fs::path& dir) {
  auto c = open_config_only(dir);
  if (!c) return c;
  INFILLD_TRY(c->load_weights());
  return c;
}

Status Checkpoint::load_configs() {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec))
    return error(dir_.string(), ": model folder not found (pass --model DIR with a Hugging Face checkpoint folder)");
  const fs::path config_path = dir_ / "config.json";
  if (!fs::exists(config_path, ec))
    return error(config_path.string(), ": file not found (is this a Hugging Face checkpoint folder?)");
  auto config = read_json_object(config_path);
  if (!config) return config.error();
  config_ = std::move(*config);
  const fs::path gen_path = dir_ / "generation_config.json";
  if (fs::exists(gen_path, ec)) {
    auto gen = read_json_object(gen_path);
    if (!gen) return gen.error();
    generation_config_ = std::move(*gen);
  }
  return Status::ok();
}

Status Checkpoint::load_weights() {
  std::error_code ec;
  const fs::path single = dir_ / "model.safetensors";
  const fs::path index_path = dir_ / "model.safetensors.index.json";
  // Which file each tensor must come from; empty for a single file.
  std::map<std::string, std::string> weight_map;
  if (fs::exists(index_path, ec)) {
    auto index = read_json_object(index_path);
    if (!index) return index.error();
    auto wm = index->find("weight_map");
    if (wm == index->end() || !wm->is_object())
      return error(index_path.string(), ": no \"weight_map\" object");
    std::set<std::string> shard_names;
    for (const auto& [tensor, file] : wm->items()) {
      if (!file.is_string()) return error(index_path.string(), ": weight_map[\"", tensor, "\"] is not a file name");
      const std::string name = file.get<std::string>();
      if (name.empty() || name.find('/') != std::string::npos || name == "..")
        return error(index_path.string(), ": weight_map names an invalid shard file \"", name, "\"");
      weight_map[tensor] = name;
      shard_names.insert(name);
    }
    for (const std::string& name : shard_names) weight_files_.push_back(dir_ / name);
  } else if (fs::exists(single, ec)) {
    weight_files_.push_back(single);
  } else {
    return error(dir_.string(), ": no weights: expected model.safetensors or model.safetensors.index.json");
  }

  for (const fs::path& path : weight_files_) {
    if (!fs::exists(path, ec))
      return error(path.string(), ": shard file not found (listed in model.safetensors.index.json)");
    auto file = SafetensorsFile::open(path);
    if (!file) return file.error();
    files_.push_back(std::make_unique<SafetensorsFile>(std::move(*file)));
    for (const TensorView& t : files_.back()->tensors()) {
      auto [it, inserted] = by_name_.emplace(t.name, &t);
      if (!inserted)
        return error(path.filename().string(), ": tensor ", t.name, " is also stored in another shard");
    }
  }
  // Each indexed tensor must be in the very shard the index names.
  std::map<std::string, std::string> stored_in;
  for (size_t i = 0; i < files_.size(); ++i)
    for (const TensorView& t : files_[i]->tensors()) stored_in[t.name] = weight_files_[i].filename().string();
  for (const auto& [tensor, file] : weight_map) {
    auto it = stored_in.find(tensor);
    if (it == stored_in.end() || it->second != file)
      return error(index_path.filename().string(), ": tensor ", tensor, " is mapped to ", file,
                   ", which does not contain it",
                   it == stored_in.end() ? std::string() : " (it is in " + it->second + ")");
  }
  return Status::ok();
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace infilld::engine
