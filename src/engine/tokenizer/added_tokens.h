// Finding added tokens (special tokens such as <|endoftext|>, FIM markers, ...) in text
// before normalization and pre-tokenization, the way Hugging Face's AddedVocabulary does:
// leftmost match first, the longest token when several start at the same place, matches
// never overlap; a single_word token only matches when not inside a word; lstrip / rstrip
// tokens absorb the whitespace on their left / right.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace infilld::engine {

struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;  // matched in normalized text (true) or in the raw text (false)
};

// A piece of split text: either an added token (id >= 0) or plain text (id == -1).
struct MatchedSegment {
  int32_t id;
  std::string_view text;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher();
  void add(const AddedTokenSpec& token);
  bool empty() const { return entries_.empty(); }

  // Cuts text into plain-text segments and added-token segments, in order. Empty plain
  // segments are left out. text must be well-formed UTF-8.
  void split(std::string_view text, std::vector<MatchedSegment>& segments) const;

 private:
  struct Entry {
    int32_t id;
    uint32_t length;
    bool lstrip, rstrip, single_word;
  };
  // A byte trie of the token contents: node 0 is the root; entry is the index of the
  // token that ends at the node, or -1.
  struct Node {
    std::vector<std::pair<uint8_t, uint32_t>> children;  // sorted by byte
    int32_t entry = -1;
  };
  // The longest token that starts at text[pos], or nullptr.
  const Entry* longest_at(std::string_view text, size_t pos) const;

  std::vector<Entry> entries_;
  std::vector<Node> nodes_;
  std::array<uint32_t, 256> root_children_{};  // 0: no token starts with this byte
};

}  // namespace infilld::engine
