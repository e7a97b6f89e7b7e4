// tree-sitter core and the 9 built-in grammars (cmake/infilld_tree_sitter.cmake): each grammar
// loads, parses a real snippet without errors and flags a broken one; incremental reparse after
// an edit gives the same tree as a fresh parse.
//
// Compiled to nothing when the build has no tree-sitter (INFILLD_TREE_SITTER=OFF): the
// infilld_tree_sitter target defines INFILLD_HAVE_TREE_SITTER for whatever links it.
#ifdef INFILLD_HAVE_TREE_SITTER

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "context/grammars.h"

namespace {

struct ParserDeleter {
  void operator()(TSParser* p) const noexcept { ts_parser_delete(p); }
};
struct TreeDeleter {
  void operator()(TSTree* t) const noexcept { ts_tree_delete(t); }
};
struct FreeDeleter {  // ts_node_string() allocates with the core's allocator (malloc by default)
  void operator()(char* s) const noexcept { std::free(s); }
};
using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;
using CStringPtr = std::unique_ptr<char, FreeDeleter>;

ParserPtr make_parser(const TSLanguage* language) {
  REQUIRE(language != nullptr);
  ParserPtr parser(ts_parser_new());
  REQUIRE(parser != nullptr);
  // Fails when the grammar's ABI is outside the core's supported range.
  REQUIRE(ts_parser_set_language(parser.get(), language));
  return parser;
}

TreePtr parse(TSParser* parser, std::string_view text, const TSTree* old_tree = nullptr) {
  TreePtr tree(ts_parser_parse_string(parser, old_tree, text.data(),
                                      static_cast<uint32_t>(text.size())));
  REQUIRE(tree != nullptr);
  return tree;
}

std::string sexp(TSNode node) {
  CStringPtr s(ts_node_string(node));
  REQUIRE(s != nullptr);
  return std::string(s.get());
}

// Row/column (bytes) of a byte offset, as tree-sitter counts them.
TSPoint point_at(std::string_view text, std::size_t offset) {
  TSPoint p{0, 0};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.row;
      p.column = 0;
    } else {
      ++p.column;
    }
  }
  return p;
}

struct Case {
  const TSLanguage* language;
  const char* root_type;         // type of the root node
  const char* first_child_type;  // type of the root's first named child in `good`
  std::string_view good;
  std::string_view broken;
};

void check_language(const Case& c) {
  REQUIRE(ts_language_abi_version(c.language) >= TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION);
  REQUIRE(ts_language_abi_version(c.language) <= TREE_SITTER_LANGUAGE_VERSION);
  ParserPtr parser = make_parser(c.language);

  TreePtr tree = parse(parser.get(), c.good);
  TSNode root = ts_tree_root_node(tree.get());
  INFO("tree: " << sexp(root));
  CHECK(std::string(ts_node_type(root)) == c.root_type);
  CHECK_FALSE(ts_node_has_error(root));
  CHECK(ts_node_start_byte(root) == 0);
  CHECK(ts_node_end_byte(root) <= c.good.size());
  REQUIRE(ts_node_named_child_count(root) > 0);
  CHECK(std::string(ts_node_type(ts_node_named_child(root, 0))) == c.first_child_type);

  TreePtr broken = parse(parser.get(), c.broken);
  TSNode broken_root = ts_tree_root_node(broken.get());
  INFO("broken tree: " << sexp(broken_root));
  CHECK(ts_node_has_error(broken_root));
}

}  // namespace

TEST_CASE("tree-sitter: parses c") {
  check_language({tree_sitter_c(), "translation_unit", "preproc_include",
                  "#include <stdio.h>\n"
                  "\n"
                  "static int add(int a, int b) { return a + b; }\n"
                  "\n"
                  "int main(void) {\n"
                  "  for (int i = 0; i < 3; ++i) printf(\"%d\\n\", add(i, 1));\n"
                  "  return 0;\n"
                  "}\n",
                  "int main(void) {\n  return 0 +;\n"});
}

TEST_CASE("tree-sitter: parses cpp") {
  check_language({tree_sitter_cpp(), "translation_unit", "preproc_include",
                  "#include <vector>\n"
                  "\n"
                  "namespace demo {\n"
                  "template <typename T>\n"
                  "class Stack {\n"
                  " public:\n"
                  "  void push(const T& v) { items_.push_back(v); }\n"
                  "  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }\n"
                  "\n"
                  " private:\n"
                  "  std::vector<T> items_;\n"
                  "};\n"
                  "}  // namespace demo\n"
                  "\n"
                  "auto square = [](int x) { return x * x; };\n",
                  "class Stack {\n public:\n  void push(const T& v) { items_.push_back(v; }\n"});
}

TEST_CASE("tree-sitter: parses python") {
  check_language({tree_sitter_python(), "module", "import_statement",
                  "import os\n"
                  "\n"
                  "\n"
                  "class Greeter:\n"
                  "    def __init__(self, name: str) -> None:\n"
                  "        self.name = name\n"
                  "\n"
                  "    def greet(self):\n"
                  "        return f\"hello {self.name}\" if self.name else os.getcwd()\n",
                  "def greet(self:\n    return [1, 2\n"});
}

TEST_CASE("tree-sitter: parses javascript") {
  check_language({tree_sitter_javascript(), "program", "import_statement",
                  "import { readFile } from 'node:fs/promises';\n"
                  "\n"
                  "export async function load(path) {\n"
                  "  const text = await readFile(path, 'utf8');\n"
                  "  return text.split('\\n').map((line, i) => `${i}: ${line}`);\n"
                  "}\n",
                  "function load(path {\n  return text.split(;\n"});
}

TEST_CASE("tree-sitter: parses typescript") {
  check_language({tree_sitter_typescript(), "program", "interface_declaration",
                  "interface Point {\n"
                  "  x: number;\n"
                  "  y: number;\n"
                  "}\n"
                  "\n"
                  "export function norm<T extends Point>(p: T): number {\n"
                  "  return Math.hypot(p.x, p.y);\n"
                  "}\n"
                  "\n"
                  "const origin: Point = { x: 0, y: 0 } as const;\n",
                  "interface Point {\n  x: number\n  y: \n}\nfunction norm(p: Point: number {}\n"});
}

TEST_CASE("tree-sitter: parses tsx") {
  check_language({tree_sitter_tsx(), "program", "import_statement",
                  "import React from 'react';\n"
                  "\n"
                  "type Props = { name: string };\n"
                  "\n"
                  "export function Hello({ name }: Props): JSX.Element {\n"
                  "  return <div className=\"hello\">Hello, {name}!</div>;\n"
                  "}\n",
                  "export function Hello(): JSX.Element {\n  return <div className=>Hello {name</div>;\n}\n"});
}

TEST_CASE("tree-sitter: parses go") {
  check_language({tree_sitter_go(), "source_file", "package_clause",
                  "package main\n"
                  "\n"
                  "import \"fmt\"\n"
                  "\n"
                  "type point struct{ x, y int }\n"
                  "\n"
                  "func main() {\n"
                  "\tps := []point{{1, 2}, {3, 4}}\n"
                  "\tfor _, p := range ps {\n"
                  "\t\tfmt.Println(p.x + p.y)\n"
                  "\t}\n"
                  "}\n",
                  "package main\n\nfunc main( {\n\tfmt.Println(\n}\n"});
}

TEST_CASE("tree-sitter: parses rust") {
  check_language({tree_sitter_rust(), "source_file", "use_declaration",
                  "use std::collections::HashMap;\n"
                  "\n"
                  "#[derive(Debug)]\n"
                  "struct Counter<'a> {\n"
                  "    words: HashMap<&'a str, usize>,\n"
                  "}\n"
                  "\n"
                  "fn main() {\n"
                  "    let mut c = Counter { words: HashMap::new() };\n"
                  "    *c.words.entry(\"a\").or_insert(0) += 1;\n"
                  "    println!(\"{:?}\", c);\n"
                  "}\n",
                  "fn main() {\n    let mut c = Counter { words: };\n    c.words.entry(\n}\n"});
}

TEST_CASE("tree-sitter: parses java") {
  check_language({tree_sitter_java(), "program", "package_declaration",
                  "package demo;\n"
                  "\n"
                  "import java.util.List;\n"
                  "\n"
                  "public class Main {\n"
                  "  public static void main(String[] args) {\n"
                  "    List<String> xs = List.of(\"a\", \"b\");\n"
                  "    xs.forEach(x -> System.out.println(x));\n"
                  "  }\n"
                  "}\n",
                  "public class Main {\n  public static void main(String[] args {\n    int x = ;\n}\n"});
}

TEST_CASE("tree-sitter: incremental reparse matches a fresh parse") {
  ParserPtr parser = make_parser(tree_sitter_python());

  const std::string before =
      "def area(w, h):\n"
      "    return w * h\n"
      "\n"
      "print(area(2, 3))\n";
  TreePtr old_tree = parse(parser.get(), before);
  REQUIRE_FALSE(ts_node_has_error(ts_tree_root_node(old_tree.get())));

  // Insert a statement at the start of the function body.
  const std::string inserted = "if w < 0:\n        w = -w\n    ";
  const std::size_t at = before.find("return");
  REQUIRE(at != std::string::npos);
  std::string after = before;
  after.insert(at, inserted);

  TSInputEdit edit{};
  edit.start_byte = static_cast<uint32_t>(at);
  edit.old_end_byte = static_cast<uint32_t>(at);
  edit.new_end_byte = static_cast<uint32_t>(at + inserted.size());
  edit.start_point = point_at(before, at);
  edit.old_end_point = edit.start_point;
  edit.new_end_point = point_at(after, at + inserted.size());
  CHECK(edit.start_point.row == 1);
  CHECK(edit.start_point.column == 4);
  CHECK(edit.new_end_point.row == 3);
  CHECK(edit.new_end_point.column == 4);
  ts_tree_edit(old_tree.get(), &edit);

  TreePtr reparsed = parse(parser.get(), after, old_tree.get());
  TreePtr fresh = parse(parser.get(), after);
  TSNode reparsed_root = ts_tree_root_node(reparsed.get());
  TSNode fresh_root = ts_tree_root_node(fresh.get());

  CHECK_FALSE(ts_node_has_error(fresh_root));
  CHECK(sexp(reparsed_root) == sexp(fresh_root));
  CHECK(ts_node_end_byte(reparsed_root) == ts_node_end_byte(fresh_root));
  CHECK(sexp(reparsed_root).find("if_statement") != std::string::npos);

  // The edit is reported as a changed range that covers the inserted text.
  uint32_t count = 0;
  std::unique_ptr<TSRange, void (*)(void*)> ranges(
      ts_tree_get_changed_ranges(old_tree.get(), reparsed.get(), &count), std::free);
  REQUIRE(count >= 1);
  CHECK(ranges.get()[0].start_byte <= at);
  CHECK(ranges.get()[count - 1].end_byte >= at + inserted.size());
}

#endif  // INFILLD_HAVE_TREE_SITTER
