// Prompt windows under a token budget: whole file when it fits; otherwise windows cut at
// line boundaries, with the imports and the enclosing headers kept in front.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "context/languages.h"
#include "context/prompt.h"
#include "context/syntax_tree.h"

using namespace infilld::context;

namespace {

// One "token" per byte: deterministic budgets for the tests (the product counts with the
// model's tokenizer).
int64_t bytes(std::string_view s) { return static_cast<int64_t>(s.size()); }

std::string python_file() {
  std::string s = "import os\nfrom typing import List\n\n";
  for (int i = 0; i < 40; ++i) s += "def helper_" + std::to_string(i) + "(x):\n    return x + " + std::to_string(i) + "\n\n";
  s += "class Store:\n    def __init__(self):\n        self.items = []\n\n    def add(self, item):\n";
  for (int i = 0; i < 10; ++i) s += "        log(" + std::to_string(i) + ")\n";
  s += "        <|>\n";
  for (int i = 0; i < 40; ++i) s += "def tail_" + std::to_string(i) + "():\n    pass\n";
  return s;
}

}  // namespace

TEST_CASE("prompt: a file that fits goes in whole") {
  const std::string text = "def f(x):\n    return x\n\nprint(f(1))\n";
  const size_t cursor = text.find("return") + 7;
  auto tree = SyntaxTree::parse(language_for("python", ""), text);
  REQUIRE(tree.is_ok());
  Prompt p = build_prompt(text, cursor, &*tree, bytes, {});
  CHECK(p.prefix == text.substr(0, cursor));
  CHECK(p.suffix == text.substr(cursor));
  CHECK_FALSE(p.prefix_cut);
  CHECK_FALSE(p.suffix_cut);
  CHECK(p.prefix_tokens + p.suffix_tokens == int64_t(text.size()));
}

TEST_CASE("prompt: cut windows keep the imports and the enclosing class and def headers") {
  std::string text = python_file();
  const size_t cursor = text.find("<|>");
  text.erase(cursor, 3);
  auto tree = SyntaxTree::parse(language_for("python", ""), text);
  REQUIRE(tree.is_ok());
  Prompt p = build_prompt(text, cursor, &*tree, bytes, {.budget = 400, .prefix_share = 0.75});
  CHECK(p.prefix_cut);
  CHECK(p.suffix_cut);
  CHECK(p.prefix_tokens + p.suffix_tokens <= 400);
  // The window ends at the cursor and starts at a line boundary.
  CHECK(p.prefix.ends_with("        log(9)\n        "));
  CHECK(p.suffix.starts_with("\ndef tail_0():"));
  CHECK(p.suffix.ends_with("\n"));
  // Imports and headers come first, in document order.
  CHECK(p.prefix.starts_with("import os\nfrom typing import List\n"));
  CHECK(p.prefix.find("class Store:\n") != std::string::npos);
  CHECK(p.prefix.find("    def add(self, item):\n") != std::string::npos);
  CHECK(p.prefix.find("def helper_0") == std::string::npos);
  REQUIRE(p.kept.size() >= 2);
  CHECK(p.kept.front() == "import os\n");

  // A tighter budget leaves the class header outside the window: it is kept instead.
  Prompt tight = build_prompt(text, cursor, &*tree, bytes, {.budget = 250, .prefix_share = 0.75});
  CHECK(tight.prefix_tokens + tight.suffix_tokens <= 250);
  CHECK(std::find(tight.kept.begin(), tight.kept.end(), "class Store:\n") != tight.kept.end());
  CHECK(tight.prefix.ends_with("        log(9)\n        "));
}

TEST_CASE("prompt: without a tree the windows are cut the same and nothing is kept") {
  std::string text = python_file();
  const size_t cursor = text.find("<|>");
  text.erase(cursor, 3);
  Prompt p = build_prompt(text, cursor, nullptr, bytes, {.budget = 300});
  CHECK(p.prefix_cut);
  CHECK(p.kept.empty());
  CHECK(p.prefix_tokens + p.suffix_tokens <= 300);
  CHECK(p.prefix.ends_with("        "));
}
