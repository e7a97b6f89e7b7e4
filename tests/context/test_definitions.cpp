// Definitions of identifiers used near the cursor, found across open documents with
// tree-sitter, in several languages.
#include <doctest/doctest.h>

#include "context/definitions.h"
#include "context/languages.h"

using namespace infilld::context;

namespace {

std::vector<Definition> defs(const char* language, const std::string& text, const char* path) {
  auto tree = SyntaxTree::parse(language_for(language, ""), text);
  REQUIRE(tree.is_ok());
  return collect_definitions(*tree, text, path);
}

bool has(const std::vector<Definition>& d, const std::string& name, const std::string& signature_start) {
  for (const auto& x : d)
    if (x.name == name && x.signature.starts_with(signature_start)) return true;
  return false;
}

}  // namespace

TEST_CASE("definitions: names and signatures in every language") {
  CHECK(has(defs("python", "class Store:\n    def add(self, item: int) -> None:\n        pass\n", "s.py"), "add",
            "def add(self, item: int) -> None:"));
  CHECK(has(defs("python", "class Store:\n    pass\n", "s.py"), "Store", "class Store:"));
  CHECK(has(defs("go", "package m\n\nfunc Max(a, b int) int {\n\treturn a\n}\n", "m.go"), "Max", "func Max(a, b int) int"));
  CHECK(has(defs("rust", "pub fn parse(s: &str) -> Option<u32> {\n    None\n}\n", "p.rs"), "parse",
            "pub fn parse(s: &str) -> Option<u32>"));
  CHECK(has(defs("c", "static int clamp(int v, int lo, int hi) {\n  return v;\n}\n", "c.c"), "clamp",
            "static int clamp(int v, int lo, int hi)"));
  CHECK(has(defs("cpp", "struct Point { int x, y; };\nint norm(const Point& p) { return p.x; }\n", "p.cpp"), "norm",
            "int norm(const Point& p)"));
  CHECK(has(defs("java", "class A {\n  int twice(int x) { return 2 * x; }\n}\n", "A.java"), "twice", "int twice(int x)"));
  CHECK(has(defs("javascript", "function greet(name) {\n  return name;\n}\n", "g.js"), "greet", "function greet(name)"));
  CHECK(has(defs("typescript", "export function area(r: number): number {\n  return r;\n}\n", "a.ts"), "area",
            "function area(r: number): number"));
}

TEST_CASE("definitions: the identifiers near the cursor find their definitions in other files") {
  DefinitionIndex index;
  index.set_document("util.py", defs("python", "def clamp(value, low, high):\n    return value\n\ndef unused():\n    pass\n", "util.py"));
  index.set_document("main.py", defs("python", "def main():\n    pass\n", "main.py"));
  auto found = index.lookup("    x = clamp(", "main.py", 4);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "util.py");
  CHECK(found[0].text == "def clamp(value, low, high):");
  CHECK(index.lookup("    x = main(", "main.py", 4).empty());  // the current file is not a source
  index.remove_document("util.py");
  CHECK(index.lookup("    x = clamp(", "main.py", 4).empty());
}
