#include "engine/tokenizer/added_tokens.h"

#include <algorithm>

#include "engine/tokenizer/unicode.h"

namespace infilld::engine {

namespace {

// The last character of text, or 0 when there is none. text is well-formed UTF-8.
char32_t last_char(std::string_view text) {
  if (text.empty()) return 0;
  size_t pos = text.size() - 1;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  char32_t cp = 0;
  return unicode::decode_utf8(text, pos, &cp) == 0 ? 0 : cp;
}

char32_t first_char(std::string_view text) {
  char32_t cp = 0;
  return unicode::decode_utf8(text, 0, &cp) == 0 ? 0 : cp;
}

// Where the run of whitespace that ends text begins.
size_t trailing_space_start(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t pos = end - 1;
    while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
    char32_t cp = 0;
    if (unicode::decode_utf8(text, pos, &cp) == 0 || !unicode::is_white_space(cp)) break;
    end = pos;
  }
  return end;
}

// The length of the run of whitespace that starts text.
size_t leading_space_length(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    const size_t n = unicode::decode_utf8(text, pos, &cp);
    if (n == 0 || !unicode::is_white_space(cp)) break;
    pos += n;
  }
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher() : nodes_(1) {}

void AddedTokenMatcher::add(const AddedTokenSpec& token) {
  if (token.content.empty()) return;  // an empty token can never be found in text
  uint32_t node = 0;
  for (size_t i = 0; i < token.content.size(); ++i) {
    const auto byte = static_cast<uint8_t>(token.content[i]);
    uint32_t child = 0;
    if (node == 0) {
      child = root_children_[byte];
    } else {
      auto& children = nodes_[node].children;
      auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, uint32_t{0}));
      if (it != children.end() && it->first == byte) child = it->second;
    }
    if (child == 0) {
      child = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      if (node == 0) {
        root_children_[byte] = child;
      } else {
        auto& children = nodes_[node].children;
        children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, uint32_t{0})),
                        {byte, child});
      }
    }
    node = child;
  }
  if (nodes_[node].entry >= 0) {  // the same content twice: the later token wins
    entries_[static_cast<size_t>(nodes_[node].entry)].id = token.id;
    return;
  }
  nodes_[node].entry = static_cast<int32_t>(entries_.size());
  entries_.push_back({token.id, static_cast<uint32_t>(token.content.size()), token.lstrip, token.rstrip,
                      token.single_word});
}

const AddedTokenMatcher::Entry* AddedTokenMatcher::longest_at(std::string_view text, size_t pos) const {
  uint32_t node = root_children_[static_cast<uint8_t>(text[pos])];
  const Entry* found = nullptr;
  for (size_t i = pos + 1; node != 0; ++i) {
    if (nodes_[node].entry >= 0) found = &entries_[static_cast<size_t>(nodes_[node].entry)];
    if (i >= text.size()) break;
    const auto byte = static_cast<uint8_t>(text[i]);
    const auto& children = nodes_[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, uint32_t{0}));
    node = it != children.end() && it->first == byte ? it->second : 0;
  }
  return found;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<MatchedSegment>& segments) const {
  size_t emitted = 0;  // text before this has been assigned to segments
  size_t pos = 0;
  while (pos < text.size()) {
    const Entry* found = longest_at(text, pos);
    if (found == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + found->length;
    if (found->single_word) {
      const bool word_before = unicode::is_word_char(last_char(text.substr(0, start)));
      const bool word_after = stop < text.size() && unicode::is_word_char(first_char(text.substr(stop)));
      if (word_before || word_after) {  // inside a word: not a match, search on after it
        pos = stop;
        continue;
      }
    }
    if (found->lstrip) {
      start = std::max(emitted, trailing_space_start(text.substr(0, start)));
    }
    if (found->rstrip) stop += leading_space_length(text.substr(stop));
    if (start > emitted) segments.push_back({-1, text.substr(emitted, start - emitted)});
    segments.push_back({found->id, text.substr(start, stop - start)});
    emitted = stop;
    pos = stop;
  }
  if (emitted < text.size()) segments.push_back({-1, text.substr(emitted)});
}

}  // namespace infilld::engine
