#include "lsp/completion_cache.h"

#include <algorithm>
#include <functional>

namespace infilld::lsp {

namespace {

std::string_view tail(std::string_view s, size_t n) { return s.substr(s.size() > n ? s.size() - n : 0); }
std::string_view head(std::string_view s, size_t n) { return s.substr(0, n); }

}  // namespace

size_t CompletionCache::hash(std::string_view prefix_key, std::string_view suffix_key) {
  const size_t a = std::hash<std::string_view>{}(prefix_key);
  const size_t b = std::hash<std::string_view>{}(suffix_key);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

CompletionCache::List::iterator CompletionCache::find(std::string_view prefix_key, std::string_view suffix_key) {
  auto [first, last] = index_.equal_range(hash(prefix_key, suffix_key));
  for (auto it = first; it != last; ++it)
    if (it->second->prefix_key == prefix_key && it->second->suffix_key == suffix_key) return it->second;
  return entries_.end();
}

std::optional<CompletionCache::Hit> CompletionCache::lookup(std::string_view prefix, std::string_view suffix) {
  if (capacity_ == 0) return std::nullopt;
  const std::string_view suffix_key = head(suffix, kSuffixKey);
  const size_t walk = std::min(kMaxTypedThrough, prefix.size());
  for (size_t typed = 0; typed <= walk; ++typed) {
    const std::string_view before = prefix.substr(0, prefix.size() - typed);
    auto it = find(tail(before, kPrefixKey), suffix_key);
    if (it == entries_.end()) continue;
    const std::string_view typed_text = prefix.substr(prefix.size() - typed);
    if (typed > 0) {
      // The typed characters must be the start of the suggestion, with some of it left.
      if (it->suggestion.size() <= typed || std::string_view(it->suggestion).substr(0, typed) != typed_text) continue;
    }
    entries_.splice(entries_.begin(), entries_, it);  // most recently used
    return Hit{it->suggestion.substr(typed), typed};
  }
  return std::nullopt;
}

void CompletionCache::insert(std::string_view prefix, std::string_view suffix, std::string suggestion) {
  if (capacity_ == 0) return;
  const std::string_view prefix_key = tail(prefix, kPrefixKey), suffix_key = head(suffix, kSuffixKey);
  if (auto it = find(prefix_key, suffix_key); it != entries_.end()) {
    it->suggestion = std::move(suggestion);
    entries_.splice(entries_.begin(), entries_, it);
    return;
  }
  entries_.push_front({std::string(prefix_key), std::string(suffix_key), std::move(suggestion)});
  index_.emplace(hash(prefix_key, suffix_key), entries_.begin());
  evict();
}

void CompletionCache::evict() {
  while (entries_.size() > capacity_) {
    const Entry& last = entries_.back();
    auto [first, end] = index_.equal_range(hash(last.prefix_key, last.suffix_key));
    for (auto it = first; it != end; ++it)
      if (&*it->second == &last) {
        index_.erase(it);
        break;
      }
    entries_.pop_back();
  }
}

void CompletionCache::set_capacity(size_t capacity) {
  capacity_ = capacity;
  evict();
}

void CompletionCache::clear() {
  entries_.clear();
  index_.clear();
}

}  // namespace infilld::lsp
