#include "engine/tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "engine/tokenizer/byte_level.h"

namespace infilld::engine {

// Merge ranks keyed by the pair of ids, in an open-addressing hash table (the hot path of
// encoding: one lookup per adjacent pair, so no strings and no node allocations).
struct BpeModel::MergeTable {
  struct Value {
    int32_t rank;
    int32_t new_id;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  std::vector<uint64_t> keys;
  std::vector<Value> values;
  uint64_t mask = 0;

  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t hash(uint64_t k) { return (k * 0x9E3779B97F4A7C15ull) ^ (k >> 29); }

  explicit MergeTable(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    keys.assign(capacity, kEmpty);
    values.resize(capacity);
    mask = capacity - 1;
  }

  // Later merges of the same pair replace earlier ones (as a Hugging Face HashMap would).
  void insert(int32_t a, int32_t b, Value value) {
    const uint64_t k = key(a, b);
    for (uint64_t i = hash(k) & mask;; i = (i + 1) & mask) {
      if (keys[i] == kEmpty || keys[i] == k) {
        keys[i] = k;
        values[i] = value;
        return;
      }
    }
  }

  const Value* find(int32_t a, int32_t b) const {
    const uint64_t k = key(a, b);
    for (uint64_t i = hash(k) & mask;; i = (i + 1) & mask) {
      if (keys[i] == k) return &values[i];
      if (keys[i] == kEmpty) return nullptr;
    }
  }
};

// Results for recently seen pieces. Bounded: emptied when full.
struct BpeModel::Cache {
  static constexpr size_t kMaxEntries = 1 << 16;
  static constexpr size_t kMaxPieceBytes = 64;
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> entries;
};

BpeModel::BpeModel(BpeOptions options) : options_(std::move(options)) {}
BpeModel::BpeModel(BpeModel&&) noexcept = default;
BpeModel& BpeModel::operator=(BpeModel&&) noexcept = default;
BpeModel::~BpeModel() = default;

Expected<BpeModel> BpeModel::build(std::unordered_map<std::string, int32_t> vocab,
                                   const std::vector<std::pair<std::string, std::string>>& merges,
                                   const BpeOptions& options, std::string_view where) {
  BpeModel model(options);
  model.vocab_ = std::move(vocab);
  const auto& v = model.vocab_;
  if (options.unk_token) {
    auto it = v.find(*options.unk_token);
    if (it == v.end()) {
      return error(where, ": the unk_token \"", *options.unk_token,
                   "\" is not in the vocab; fix or remove model.unk_token");
    }
    model.unk_id_ = it->second;
  }
  model.merges_ = std::make_unique<MergeTable>(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = v.find(a);
    auto ib = v.find(b);
    joined.assign(a).append(b);
    auto ij = v.find(joined);
    const std::string* missing = ia == v.end() ? &a : ib == v.end() ? &b : ij == v.end() ? &joined : nullptr;
    if (missing != nullptr) {
      return error(where, ": merges[", rank, "] \"", a, " ", b, "\": token \"", *missing,
                   "\" is not in the vocab; the vocab and merges do not belong together");
    }
    model.merges_->insert(ia->second, ib->second,
                          {static_cast<int32_t>(rank), ij->second});
  }
  model.merge_count_ = merges.size();
  for (unsigned b = 0; b < 256; ++b) {
    auto it = v.find(byte_level::byte_to_utf8(static_cast<uint8_t>(b)));
    model.byte_ids_[b] = it == v.end() ? -1 : it->second;
    if (it != v.end() || !options.byte_fallback) continue;
    // Byte fallback looks up "<0xNN>" for each UTF-8 byte of the missing character.
    std::vector<int32_t> ids;
    for (char c : byte_level::byte_to_utf8(static_cast<uint8_t>(b))) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned>(static_cast<uint8_t>(c)));
      auto fb = v.find(name);
      if (fb == v.end()) {
        ids.clear();
        break;
      }
      ids.push_back(fb->second);
    }
    model.byte_substitutes_[b] = std::move(ids);
  }
  model.cache_ = std::make_unique<Cache>();
  return model;
}

void BpeModel::encode(std::string_view piece, Scratch& scratch, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    scratch.mapped = byte_level::encode(piece);
    auto it = vocab_.find(scratch.mapped);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (piece.size() == 1 && byte_ids_[static_cast<uint8_t>(piece[0])] >= 0) {
    out.push_back(byte_ids_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  const bool cacheable = piece.size() <= Cache::kMaxPieceBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto it = cache_->entries.find(std::string(piece));
    if (it != cache_->entries.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge(piece, scratch, out);
  if (cacheable) {
    std::vector<int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (cache_->entries.size() >= Cache::kMaxEntries) cache_->entries.clear();
    cache_->entries.emplace(std::string(piece), std::move(ids));
  }
}

void BpeModel::merge(std::string_view piece, Scratch& scratch, std::vector<int32_t>& out) const {
  auto& symbols = scratch.symbols;
  auto& heap = scratch.heap;
  symbols.clear();
  heap.clear();
  auto push_symbol = [&symbols](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, n - 1, -1});
    if (n > 0) symbols[static_cast<size_t>(n - 1)].next = n;
  };
  bool pending_unk = false;
  for (char c : piece) {
    const auto b = static_cast<uint8_t>(c);
    if (byte_ids_[b] >= 0 || !byte_substitutes_[b].empty()) {
      if (pending_unk) push_symbol(unk_id_);
      pending_unk = false;
      if (byte_ids_[b] >= 0) {
        push_symbol(byte_ids_[b]);
      } else {
        for (int32_t id : byte_substitutes_[b]) push_symbol(id);
      }
    } else if (unk_id_ >= 0) {
      if (pending_unk && !options_.fuse_unk) push_symbol(unk_id_);
      pending_unk = true;
    }
    // else: the byte has no token at all and is dropped, as Hugging Face does.
  }
  if (pending_unk) push_symbol(unk_id_);

  // Candidates are ordered by rank, then by position: the lowest rank, leftmost, first.
  auto later = [](const Scratch::Candidate& x, const Scratch::Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
  };
  auto consider = [&](int32_t left) {
    const auto& l = symbols[static_cast<size_t>(left)];
    if (l.next < 0) return;
    const MergeTable::Value* m = merges_->find(l.id, symbols[static_cast<size_t>(l.next)].id);
    if (m == nullptr) return;
    heap.push_back({m->rank, left, m->new_id});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) consider(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Scratch::Candidate top = heap.back();
    heap.pop_back();
    auto& left = symbols[static_cast<size_t>(top.pos)];
    if (left.id < 0 || left.next < 0) continue;  // merged away, or now last
    const auto right_index = static_cast<size_t>(left.next);
    auto& right = symbols[right_index];
    // The pair may have changed since this candidate was queued: skip it unless the
    // current pair still merges into the same token.
    const MergeTable::Value* m = merges_->find(left.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;
    left.id = top.new_id;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
    right.id = -1;  // removed
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    out.push_back(symbols[static_cast<size_t>(i)].id);
  }
}

}  // namespace infilld::engine
