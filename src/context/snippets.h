// Snippets from other files (DESIGN.md section 5): a ring of chunks from open or recently
// edited documents; a chunk is evicted when a newer one is nearly the same (the same code
// seen again), or by age. For a cursor, the chunks most like the code around it (Jaccard
// similarity of identifier sets) go into the prompt, rendered as comments of the target
// language with the path of their file. Chunks nearly identical to the text around the
// cursor are skipped: the model sees that text already.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "context/languages.h"

namespace infilld::context {

struct Snippet {
  std::string path;
  std::string text;
  double score = 0.0;
};

class SnippetRing {
 public:
  explicit SnippetRing(size_t capacity = 256, size_t chunk_lines = 12) : capacity_(capacity), chunk_lines_(chunk_lines) {}

  // Adds the chunks of a document (windows of chunk_lines lines, half overlapping),
  // dropping the older chunks of the same path and those nearly the same as a new one.
  void add_document(std::string_view path, std::string_view text);
  void remove_document(std::string_view path);
  // Drops the chunks nearly the same as `text` (the code around the cursor, which the prompt
  // holds already): they would only repeat it.
  void evict_similar_to(std::string_view text);

  // Up to `max` chunks from other paths, most similar to `query` first (score > 0 only).
  std::vector<Snippet> best(std::string_view query, std::string_view current_path, size_t max) const;

  size_t size() const { return chunks_.size(); }

 private:
  struct Chunk {
    std::string path;
    std::string text;
    std::set<std::string> words;
  };
  size_t capacity_;
  size_t chunk_lines_;
  std::deque<Chunk> chunks_;  // oldest first
};

// The identifiers of a text (letters, digits and '_', starting with a non-digit, 2+ long).
std::set<std::string> identifiers(std::string_view text);
double jaccard(const std::set<std::string>& a, const std::set<std::string>& b);

// The snippets as comments of `language` ("// path" then each line commented; "#" for
// Python; nothing for a language without comments), ready to go before the prefix.
std::string render_snippets(std::span<const Snippet> snippets, const Language& language);

}  // namespace infilld::context
