// The BPE model: a vocabulary (token -> id), ranked merges, and the merge algorithm that
// turns one pre-tokenized piece (raw bytes) into token ids, as Hugging Face `tokenizers`
// does for byte-level BPE: the piece's bytes become byte-alphabet symbols, then the
// adjacent pair with the lowest merge rank (leftmost first among equal ranks) is merged,
// again and again, until no adjacent pair has a merge.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace infilld::engine {

struct BpeOptions {
  bool ignore_merges = false;           // a piece that is itself a token maps to it directly
  bool byte_fallback = false;           // unknown symbols become <0xNN> tokens when present
  std::optional<std::string> unk_token;  // unknown symbols become this token when set
  bool fuse_unk = false;                // consecutive unknown symbols give one unk token
};

class BpeModel {
 public:
  // vocab: token -> id (ids are checked unique and non-negative by the caller).
  // merges: in rank order. where: the file, for error messages.
  static Expected<BpeModel> build(std::unordered_map<std::string, int32_t> vocab,
                                  const std::vector<std::pair<std::string, std::string>>& merges,
                                  const BpeOptions& options, std::string_view where);

  BpeModel(BpeModel&&) noexcept;
  BpeModel& operator=(BpeModel&&) noexcept;
  ~BpeModel();

  // Reusable buffers for encode(); one per thread (or per call).
  struct Scratch {
    struct Symbol {
      int32_t id;
      int32_t prev;
      int32_t next;
    };
    struct Candidate {
      int32_t rank;
      int32_t pos;
      int32_t new_id;
    };
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
    std::string mapped;
  };

  // Appends the ids of one piece of raw bytes. Thread-safe.
  void encode(std::string_view piece, Scratch& scratch, std::vector<int32_t>& out) const;

  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }
  size_t merge_count() const { return merge_count_; }

 private:
  explicit BpeModel(BpeOptions options);

  struct MergeTable;
  struct Cache;

  void merge(std::string_view piece, Scratch& scratch, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unique_ptr<MergeTable> merges_;
  std::unique_ptr<Cache> cache_;
  size_t merge_count_ = 0;
  BpeOptions options_;
  // For each byte: the id of its byte-alphabet character, or -1.
  std::array<int32_t, 256> byte_ids_{};
  // For each byte whose character is not in the vocab: the ids that stand for it instead
  // (byte fallback or unk); empty means the byte is dropped, as Hugging Face does.
  std::array<std::vector<int32_t>, 256> byte_substitutes_;
  int32_t unk_id_ = -1;
};

}  // namespace infilld::engine
