#include "engine/checkpoint/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace infilld::engine {

using nlohmann::json;

int64_t TensorView::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_text(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

struct Entry {
  TensorView view;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Reads one header entry; checks types, dtype, shape and that the byte span matches.
Expected<Entry> read_entry(const std::string& file, const std::string& name, const json& j,
                           uint64_t data_size) {
  const std::string where = file + ": tensor " + name;
  if (!j.is_object()) return error(where, ": header entry is not an object");
  auto dtype_it = j.find("dtype");
  auto shape_it = j.find("shape");
  auto offsets_it = j.find("data_offsets");
  if (dtype_it == j.end() || !dtype_it->is_string())
    return error(where, ": header entry has no dtype string");
  if (shape_it == j.end() || !shape_it->is_array())
    return error(where, ": header entry has no shape array");
  if (offsets_it == j.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned())
    return error(where, ": header entry needs data_offsets [begin, end] of unsigned integers");

  Entry e;
  e.view.name = name;
  const std::string dtype_str = dtype_it->get<std::string>();
  auto dtype = parse_dtype(dtype_str);
  if (!dtype)
    return error(where, ": unsupported dtype ", dtype_str, " (infilld runs F32, F16 and BF16)");
  e.view.dtype = *dtype;

  uint64_t n_elements = 1;
  for (const json& d : *shape_it) {
    if (!d.is_number_unsigned()) return error(where, ": shape ", shape_it->dump(), " is not a list of sizes");
    uint64_t dim = d.get<uint64_t>();
    if (dim > 0 && n_elements > std::numeric_limits<uint64_t>::max() / 16 / dim)
      return error(where, ": shape ", shape_it->dump(), " is too large");
    n_elements *= dim;
    e.view.shape.push_back(static_cast<int64_t>(dim));
  }
  e.begin = (*offsets_it)[0].get<uint64_t>();
  e.end = (*offsets_it)[1].get<uint64_t>();
  if (e.begin > e.end) return error(where, ": data_offsets [", e.begin, ", ", e.end, "] are reversed");
  if (e.end > data_size)
    return error(where, ": data_offsets [", e.begin, ", ", e.end, "] lie outside the data area of ",
                 data_size, " bytes (the file is truncated or its header is corrupt)");
  const uint64_t needed = n_elements * dtype_size(*dtype);
  if (needed != e.end - e.begin)
    return error(where, ": shape ", shape_text(e.view.shape), " of ", dtype_str, " needs ", needed,
                 " bytes but data_offsets span ", e.end - e.begin, " bytes");
  e.view.n_bytes = static_cast<size_t>(needed);
  return e;
}

}  // namespace

Expected<std::vector<TensorView>> parse_safetensors(std::span<const std::byte> bytes,
                                                    const std::string& file) {
  if (bytes.size() < 8)
    return error(file, ": truncated: ", bytes.size(), " bytes, too short for a safetensors header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
  if (header_len > kMaxSafetensorsHeader)
    return error(file, ": header length ", header_len, " exceeds the limit of ", kMaxSafetensorsHeader,
                 " bytes (corrupt header)");
  if (header_len > bytes.size() - 8)
    return error(file, ": header length ", header_len, " exceeds the file size of ", bytes.size(),
                 " bytes (truncated file or corrupt header)");

  const char* header_text = reinterpret_cast<const char*>(bytes.data() + 8);
  json header = json::parse(header_text, header_text + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return error(file, ": header is not valid JSON (corrupt file)");
  if (!header.is_object()) return error(file, ": header is not a JSON object (corrupt file)");

  const std::byte* data = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") continue;
    auto entry = read_entry(file, name, value, data_size);
    if (!entry) return entry.error();
    entries.push_back(std::move(*entry));
  }

  // No two tensors may share bytes (zero-size tensors share nothing).
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const Entry& a = *by_offset[i - 1];
    const Entry& b = *by_offset[i];
    if (b.begin < a.end)
      return error(file, ": tensors ", a.view.name, " [", a.begin, ", ", a.end, ") and ", b.view.name,
                   " [", b.begin, ", ", b.end, ") overlap (corrupt header)");
  }

  std::vector<TensorView> views;
  views.reserve(entries.size());
  for (Entry& e : entries) {
    e.view.data = data + e.begin;
    if (reinterpret_cast<uintptr_t>(e.view.data) % dtype_size(e.view.dtype) != 0)
      return error(file, ": tensor ", e.view.name, ": data is not aligned to its ",
                   dtype_size(e.view.dtype), "-byte elements (corrupt header)");
    views.push_back(std::move(e.view));
  }
  return views;
}

Expected<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  f.file_ = std::move(*mapped);
  auto tensors = parse_safetensors(f.file_.bytes(), path.filename().string());
  if (!tensors) return tensors.error();
  f.tensors_ = std::move(*tensors);
  return f;
}

}  // namespace infilld::engine
