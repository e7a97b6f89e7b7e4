// Snippets from other files: chunks ranked by identifier similarity to the cursor's code,
// duplicates evicted, the current file and copies of the cursor's text skipped, rendered as
// comments with their path.
#include <doctest/doctest.h>

#include "context/languages.h"
#include "context/prompt.h"
#include "context/snippets.h"

using namespace infilld::context;

TEST_CASE("snippets: the most similar chunk of another file comes first") {
  SnippetRing ring(64, 4);
  ring.add_document("src/store.py", "class Store:\n    def add_item(self, item):\n        self.items.append(item)\n");
  ring.add_document("src/net.py", "def fetch(url):\n    return http_get(url, timeout=3)\n");
  auto best = ring.best("store.add_item(item)\nitems = store.items\n", "src/main.py", 2);
  REQUIRE_FALSE(best.empty());
  CHECK(best.front().path == "src/store.py");
  CHECK(best.size() == 1);  // net.py shares no identifier: not offered
  // The current file is never a snippet of itself.
  for (const Snippet& sn : ring.best("def add_item(self, item): self.items", "src/store.py", 4))
    CHECK(sn.path != "src/store.py");
}

TEST_CASE("snippets: a newer copy of the same code evicts the older one, capacity bounds the ring") {
  SnippetRing ring(3, 4);
  const char* code = "def total(values):\n    return sum(v.amount for v in values)\n";
  ring.add_document("a.py", code);
  ring.add_document("b.py", code);  // the same code in another file
  CHECK(ring.size() == 1);
  auto best = ring.best("total(values) amount", "c.py", 4);
  REQUIRE(best.size() == 1);
  CHECK(best.front().path == "b.py");
  for (int i = 0; i < 5; ++i)
    ring.add_document("f" + std::to_string(i) + ".py", "x" + std::to_string(i) + "_value = compute_" + std::to_string(i) + "()\n");
  CHECK(ring.size() == 3);
}

TEST_CASE("snippets: rendered as comments of the target language with the path") {
  const std::vector<Snippet> s = {{"lib/util.go", "func Max(a, b int) int {\n\treturn a\n}", 0.5}};
  CHECK(render_snippets(s, language_for("go", "")) == "// lib/util.go\n// func Max(a, b int) int {\n// \treturn a\n// }\n");
  CHECK(render_snippets(s, language_for("python", "")).starts_with("# lib/util.go\n# func Max"));
  CHECK(render_snippets(s, plain_text_language()).empty());
}

TEST_CASE("snippets: added in front of the prefix within their budget") {
  SnippetRing ring(64, 4);
  ring.add_document("src/store.py", "class Store:\n    def add_item(self, item):\n        self.items.append(item)\n");
  Prompt p;
  p.prefix = "def main():\n    store = Store()\n    store.add_item(";
  p.prefix_tokens = int64_t(p.prefix.size());
  auto bytes = [](std::string_view s) { return int64_t(s.size()); };
  add_snippets(p, ring, "src/main.py", language_for("python", ""), bytes, 1000);
  REQUIRE(p.snippets.size() == 1);
  CHECK(p.prefix.starts_with("# src/store.py\n# class Store:\n"));
  CHECK(p.prefix.ends_with("store.add_item("));
  CHECK(p.prefix_tokens == int64_t(p.prefix.size()));
  // A budget too small for any snippet leaves the prompt as it was.
  Prompt q;
  q.prefix = "store.add_item(";
  add_snippets(q, ring, "src/main.py", language_for("python", ""), bytes, 10);
  CHECK(q.snippets.empty());
  CHECK(q.prefix == "store.add_item(");
}

TEST_CASE("snippets: chunks that repeat the code around the cursor are evicted") {
  SnippetRing ring(64, 4);
  ring.add_document("copy.py", "def total(values):\n    return sum(v.amount for v in values)\n");
  ring.add_document("other.py", "def fetch(url):\n    return http_get(url)\n");
  CHECK(ring.size() == 2);
  ring.evict_similar_to("def total(values):\n    return sum(v.amount for v in values)\n");
  CHECK(ring.size() == 1);
  CHECK(ring.best("fetch url", "main.py", 4).front().path == "other.py");
}
