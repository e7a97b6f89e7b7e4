#include "context/snippets.h"

#include <algorithm>

namespace infilld::context {

namespace {

constexpr double kSameChunk = 0.8;  // Jaccard above which two chunks count as the same code

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::set<std::string> identifiers(std::string_view text) {
  std::set<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    if (!word_char(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && word_char(text[j])) ++j;
    if (j - i >= 2 && !(text[i] >= '0' && text[i] <= '9')) words.emplace(text.substr(i, j - i));
    i = j;
  }
  return words;
}

double jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  if (a.empty() && b.empty()) return 0.0;
  size_t common = 0;
  for (const auto& w : a) common += b.count(w);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

void SnippetRing::add_document(std::string_view path, std::string_view text) {
  remove_document(path);
  std::vector<size_t> starts = {0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n' && i + 1 < text.size()) starts.push_back(i + 1);
  const size_t step = std::max<size_t>(1, chunk_lines_ / 2);
  for (size_t first = 0; first < starts.size(); first += step) {
    const size_t last = std::min(starts.size(), first + chunk_lines_);
    const size_t end = last < starts.size() ? starts[last] : text.size();
    Chunk chunk{std::string(path), std::string(text.substr(starts[first], end - starts[first])), {}};
    chunk.words = identifiers(chunk.text);
    if (chunk.words.empty()) continue;
    // The same code seen again (another file, a copy): the older chunk goes.
    std::erase_if(chunks_, [&](const Chunk& old) { return jaccard(old.words, chunk.words) >= kSameChunk; });
    chunks_.push_back(std::move(chunk));
    while (chunks_.size() > capacity_) chunks_.pop_front();
    if (last == starts.size()) break;
  }
}

void SnippetRing::remove_document(std::string_view path) {
  std::erase_if(chunks_, [&](const Chunk& c) { return c.path == path; });
}

void SnippetRing::evict_similar_to(std::string_view text) {
  const auto words = identifiers(text);
  std::erase_if(chunks_, [&](const Chunk& c) { return jaccard(c.words, words) >= kSameChunk; });
}

std::vector<Snippet> SnippetRing::best(std::string_view query, std::string_view current_path, size_t max) const {
  const auto q = identifiers(query);
  std::vector<Snippet> out;
  for (const Chunk& c : chunks_) {
    if (c.path == current_path) continue;
    const double s = jaccard(q, c.words);
    if (s <= 0.0 || s >= 0.95) continue;  // unrelated, or the text around the cursor itself
    out.push_back({c.path, c.text, s});
  }
  std::stable_sort(out.begin(), out.end(), [](const Snippet& a, const Snippet& b) { return a.score > b.score; });
  if (out.size() > max) out.resize(max);
  return out;
}

std::string render_snippets(std::span<const Snippet> snippets, const Language& language) {
  const std::string_view mark = language.line_comment;
  if (mark.empty()) return {};
  std::string out;
  for (const Snippet& s : snippets) {
    out += std::string(mark) + " " + s.path + "\n";
    size_t start = 0;
    while (start < s.text.size()) {
      const size_t nl = s.text.find('\n', start);
      const size_t end = nl == std::string::npos ? s.text.size() : nl;
      out += std::string(mark) + " " + s.text.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  return out;
}

}  // namespace infilld::context
