// Prompt windows under a token budget: whole file when it fits; otherwise windows cut at
// line boundaries, with the imports and the enclosing headers kept in front.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
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

TEST_CASE("prompt: every language keeps its imports and the enclosing definition's header") {
  struct Case {
    const char* language;
    const char* import_line;
    const char* header;
    const char* filler;  // one line of body, repeated
    const char* open;    // lines between the header and the filler
    const char* close;
  };
  const Case cases[] = {
      {"c", "#include <stdio.h>\n", "int compute(int n) {\n", "    n = n + 1;\n", "", "}\n"},
      {"cpp", "#include <vector>\n", "int compute(std::vector<int>& v) {\n", "    v.push_back(1);\n", "", "}\n"},
      {"python", "import os\n", "def compute(n):\n", "    n = n + 1\n", "", ""},
      {"javascript", "import fs from 'fs';\n", "function compute(n) {\n", "  n = n + 1;\n", "", "}\n"},
      {"typescript", "import { x } from './x';\n", "function compute(n: number): number {\n", "  n = n + 1;\n", "", "}\n"},
      {"tsx", "import React from 'react';\n", "function compute(n: number) {\n", "  n = n + 1;\n", "", "}\n"},
      {"go", "import \"fmt\"\n", "func compute(n int) int {\n", "\tn = n + 1\n", "", "}\n"},
      {"rust", "use std::io;\n", "fn compute(mut n: i32) -> i32 {\n", "    n = n + 1;\n", "", "}\n"},
      {"java", "import java.util.List;\n", "    int compute(int n) {\n", "        n = n + 1;\n", "", "    }\n"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.language);
    std::string text = std::string(std::string(c.language) == "go" ? "package main\n\n" : "") + c.import_line + "\n";
    if (std::string(c.language) == "java") text += "class A {\n";
    text += c.header;
    for (int i = 0; i < 60; ++i) text += c.filler;
    const size_t cursor = text.size() - 1;  // at the end of the last body line
    text += c.close;
    if (std::string(c.language) == "java") text += "}\n";
    auto tree = SyntaxTree::parse(language_for(c.language, ""), text);
    REQUIRE(tree.is_ok());
    Prompt p = build_prompt(text, cursor, &*tree, bytes, {.budget = 300, .prefix_share = 0.8});
    CHECK(p.prefix_cut);
    CHECK(p.prefix_tokens + p.suffix_tokens <= 300);
    CHECK(std::find(p.kept.begin(), p.kept.end(), std::string(c.import_line)) != p.kept.end());
    CHECK(std::find(p.kept.begin(), p.kept.end(), std::string(c.header)) != p.kept.end());
    CHECK(p.prefix.ends_with(std::string(c.filler).substr(0, std::strlen(c.filler) - 1)));
    CHECK(p.suffix == text.substr(cursor));
  }
}
