// The completion cache: suggestions already computed, keyed by the text around the cursor,
// least recently used out first.
//
// lookup() answers two kinds of hits without the model:
//   - exact: the same text before and after the cursor as a cached suggestion's;
//   - typed through: the user typed the first k characters of a cached suggestion (k <= 128,
//     the text after the cursor unchanged); the answer is the rest of that suggestion.
// The key is the last kPrefixKey bytes before the cursor and the first kSuffixKey bytes
// after it (what the model's windows mostly see); entries store those texts and compare
// them in full, so a hash collision never returns a wrong suggestion.
//
// Which thread may call what: the loop thread only (no locking).
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace infilld::lsp {

class CompletionCache {
 public:
  static constexpr size_t kPrefixKey = 4096;
  static constexpr size_t kSuffixKey = 1024;
  static constexpr size_t kMaxTypedThrough = 128;

  explicit CompletionCache(size_t capacity = 256) : capacity_(capacity) {}

  struct Hit {
    std::string suggestion;  // what to show at the cursor ("" for a cached empty answer)
    size_t typed = 0;        // characters of the cached suggestion the user typed (0: exact)
  };

  // `prefix`: the document before the cursor; `suffix`: after it.
  std::optional<Hit> lookup(std::string_view prefix, std::string_view suffix);
  void insert(std::string_view prefix, std::string_view suffix, std::string suggestion);

  void set_capacity(size_t capacity);  // 0 turns the cache off (and empties it)
  void clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string prefix_key, suffix_key, suggestion;
  };
  using List = std::list<Entry>;
  static size_t hash(std::string_view prefix_key, std::string_view suffix_key);
  List::iterator find(std::string_view prefix_key, std::string_view suffix_key);
  void evict();

  size_t capacity_;
  List entries_;  // most recently used first
  std::unordered_multimap<size_t, List::iterator> index_;
};

}  // namespace infilld::lsp
