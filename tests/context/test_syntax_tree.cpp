// The language registry (context/languages.h) and SyntaxTree (context/syntax_tree.h): language
// choice by languageId and extension; node_at/ancestors on every grammar; after random edits
// an incremental reparse gives exactly the tree of a fresh parse.
//
// Compiled to nothing without tree-sitter (INFILLD_TREE_SITTER=OFF), like test_tree_sitter.cpp.
#ifdef INFILLD_HAVE_TREE_SITTER

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "context/languages.h"
#include "context/syntax_tree.h"

using namespace infilld::context;  // NOLINT: a test of this namespace

namespace {

// Row and byte column of `offset`; rows split on '\n' only, as tree-sitter counts them.
BytePoint point_at(std::string_view text, size_t offset) {
  BytePoint p;
  for (size_t i = 0; i < offset; ++i)
    p = text[i] == '\n' ? BytePoint{p.row + 1, 0} : BytePoint{p.row, p.column + 1};
  return p;
}

// Replaces text[start, old_end) with `inserted`; returns the edit that describes it.
ByteEdit apply_edit(std::string& text, size_t start, size_t old_end, std::string_view inserted) {
  const size_t new_end = start + inserted.size();
  const BytePoint start_point = point_at(text, start), old_end_point = point_at(text, old_end);
  text.replace(start, old_end - start, inserted);
  return {static_cast<uint32_t>(start), static_cast<uint32_t>(old_end),
          static_cast<uint32_t>(new_end), start_point, old_end_point, point_at(text, new_end)};
}

SyntaxTree must_parse(const Language& language, std::string_view text) {
  auto tree = SyntaxTree::parse(language, text);
  REQUIRE_MESSAGE(tree.is_ok(), (tree.is_ok() ? "" : tree.message()));
  return std::move(tree).value();
}

std::string_view node_text(TSNode node, std::string_view text) {
  return text.substr(ts_node_start_byte(node), ts_node_end_byte(node) - ts_node_start_byte(node));
}

}  // namespace

TEST_CASE("languages: the registry has the nine grammars with their comment syntax") {
  std::set<std::string_view> names;
  for (const Language& l : all_languages()) {
    CAPTURE(l.name);
    CHECK(l.grammar != nullptr);
    CHECK(names.insert(l.name).second);
    const bool python = l.name == "python";
    CHECK(l.line_comment == (python ? "#" : "//"));
    CHECK(l.block_comment_open == (python ? "" : "/*"));
    CHECK(l.block_comment_close == (python ? "" : "*/"));
  }
  CHECK(names == std::set<std::string_view>{"c", "cpp", "python", "javascript", "typescript",
                                            "tsx", "go", "rust", "java"});
}

TEST_CASE("languages: chosen by LSP languageId, aliases and case included") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"c", "c"}, {"cpp", "cpp"}, {"c++", "cpp"}, {"cxx", "cpp"}, {"C++", "cpp"},
      {"python", "python"}, {"py", "python"}, {"Python", "python"},
      {"javascript", "javascript"}, {"javascriptreact", "javascript"}, {"js", "javascript"},
      {"jsx", "javascript"}, {"typescript", "typescript"}, {"ts", "typescript"},
      {"typescriptreact", "tsx"}, {"tsx", "tsx"}, {"TypeScriptReact", "tsx"},
      {"go", "go"}, {"golang", "go"}, {"rust", "rust"}, {"rs", "rust"}, {"java", "java"},
  };
  for (const auto& [id, name] : cases) {
    CAPTURE(id);
    CHECK(language_for(id, "").name == name);
    CHECK(language_for(id, "/src/notes.txt").name == name);  // the id wins over the path
  }
  CHECK(language_for("c", "/src/a.h").name == "c");  // the editor says C for this header
}

TEST_CASE("languages: chosen by file extension when the languageId is unknown or empty") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"a.c", "c"}, {"a.h", "cpp"}, {"a.cc", "cpp"}, {"a.cpp", "cpp"}, {"a.cxx", "cpp"},
      {"a.hpp", "cpp"}, {"a.hh", "cpp"}, {"a.hxx", "cpp"}, {"a.C", "cpp"},
      {"a.py", "python"}, {"a.pyi", "python"}, {"a.js", "javascript"}, {"a.mjs", "javascript"},
      {"a.cjs", "javascript"}, {"a.jsx", "javascript"}, {"a.ts", "typescript"},
      {"a.mts", "typescript"}, {"a.cts", "typescript"}, {"a.tsx", "tsx"}, {"a.go", "go"},
      {"a.rs", "rust"}, {"a.java", "java"}, {"/home/u/pro.j/src/main.RS", "rust"},
      {"file:///home/u/x.y/app.tsx", "tsx"}, {"C:\\work\\lib.cpp", "cpp"},
      {"file:///a/b.py?x=1#frag", "python"}, {"/tmp/odd#name.go", "go"},
  };
  for (const auto& [path, name] : cases) {
    CAPTURE(path);
    CHECK(language_for("", path).name == name);
    CHECK(language_for("plaintext", path).name == name);
    CHECK(language_for("unknown-language", path).name == name);
  }
}

TEST_CASE("languages: anything else is plain text") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""}, {"markdown", "README.md"}, {"", "Makefile"}, {"", ".py"}, {"", "/a.py/Makefile"},
      {"", "notes.txt"}, {"shellscript", "run.sh"}, {"", "x.tar.gz"}, {"objective-c", "a.m"},
  };
  for (const auto& [id, path] : cases) {
    INFO("languageId '" << id << "', path '" << path << "'");
    const Language& l = language_for(id, path);
    CHECK(&l == &plain_text_language());
    CHECK(l.name == "plaintext");
    CHECK(l.grammar == nullptr);
    CHECK(l.line_comment.empty());
  }
}

namespace {

struct NodeCase {
  std::string_view language_id;
  std::string_view text;
  std::string_view marker;  // unique in text; the identifier starts `skip` bytes into it
  size_t skip;
  std::string_view identifier;
  std::vector<std::string_view> enclosing;  // expected among the ancestors, innermost first
};

const NodeCase kNodeCases[] = {
    {"c", "struct point { int x, y; };\nstatic int dot(struct point a, struct point b) {\n"
          "  int total = a.x * b.x;\n  return total + a.y * b.y;\n}\n",
     "return total", 7, "total", {"return_statement", "function_definition"}},
    {"cpp", "namespace geo {\nclass Shape {\n public:\n  double scaled(double factor) const {\n"
            "    double result = area_ * factor;\n    return result;\n  }\n  double area_ = 0;\n"
            "};\n}  // namespace geo\n",
     "return result", 7, "result",
     {"function_definition", "class_specifier", "namespace_definition"}},
    {"python", "class Greeter:\n    def greet(self, name):\n        message = \"héllo \" + name\n"
               "        return message\n",
     "return message", 7, "message", {"function_definition", "class_definition"}},
    {"javascript", "function total(items) {\n  let sum = 0;\n"
                   "  for (const item of items) sum += item.price;\n  return sum;\n}\n",
     "return sum", 7, "sum", {"return_statement", "function_declaration"}},
    {"typescript", "export class Counter {\n  private value: number = 0;\n"
                   "  bump(step: number): number {\n    const next = this.value + step;\n"
                   "    return next;\n  }\n}\n",
     "return next", 7, "next", {"method_definition", "class_declaration"}},
    {"typescriptreact", "type Props = { name: string };\nexport function Hello({ name }: Props) {\n"
                        "  return <div className=\"hi\">{name}</div>;\n}\n",
     "{name}<", 1, "name", {"jsx_expression", "jsx_element", "function_declaration"}},
    {"go", "package main\n\nfunc norm(x, y int) int {\n\tsum := x*x + y*y\n\treturn sum\n}\n",
     "return sum", 7, "sum", {"return_statement", "function_declaration"}},
    {"rust", "struct Counter { n: u32 }\nimpl Counter {\n    fn bump(&mut self, by: u32) -> u32 {\n"
             "        let next = self.n + by;\n        next\n    }\n}\n",
     "next\n ", 0, "next", {"function_item", "impl_item"}},
    {"java", "public class Main {\n  static int twice(int v) {\n    int doubled = v * 2;\n"
             "    return doubled;\n  }\n}\n",
     "return doubled", 7, "doubled", {"method_declaration", "class_declaration"}},
};

}  // namespace

TEST_CASE("syntax tree: every grammar parses; node_at finds an identifier, ancestors its scopes") {
  for (const NodeCase& c : kNodeCases) {
    CAPTURE(c.language_id);
    SyntaxTree tree = must_parse(language_for(c.language_id, ""), c.text);
    INFO("tree: " << tree.sexp());
    CHECK_FALSE(tree.has_error());
    CHECK_FALSE(tree.last_parse_incremental());
    const size_t marker = c.text.find(c.marker);
    REQUIRE(marker != std::string_view::npos);
    REQUIRE(c.text.find(c.marker, marker + 1) == std::string_view::npos);
    const auto at = static_cast<uint32_t>(marker + c.skip);
    // Its first and its last byte give the same identifier node.
    for (uint32_t offset : {at, static_cast<uint32_t>(at + c.identifier.size() - 1)}) {
      TSNode node = tree.node_at(offset);
      REQUIRE_FALSE(ts_node_is_null(node));
      CHECK(std::string_view(ts_node_type(node)) == "identifier");
      CHECK(node_text(node, c.text) == c.identifier);
    }
    const std::vector<TSNode> chain = ancestors(tree.node_at(at));
    REQUIRE_FALSE(chain.empty());
    CHECK(ts_node_eq(chain.back(), tree.root()));
    std::vector<std::string_view> types;
    for (TSNode n : chain) types.emplace_back(ts_node_type(n));
    auto from = types.begin();  // innermost first: expected types appear in the listed order
    for (std::string_view type : c.enclosing) {
      const auto found = std::find(from, types.end(), type);
      CHECK_MESSAGE(found != types.end(), type << " is not an ancestor (after " << *from << ")");
      if (found != types.end()) from = found;
    }
    // At the end of the text no node is smaller than the root.
    CHECK(ts_node_eq(tree.node_at(static_cast<uint32_t>(c.text.size())), tree.root()));
  }
  CHECK(ancestors(TSNode{}).empty());
}

TEST_CASE("syntax tree: plain text cannot be parsed, with a clear error") {
  auto tree = SyntaxTree::parse(plain_text_language(), "just some words\n");
  REQUIRE_FALSE(tree.is_ok());
  CHECK(tree.message().find("plaintext") != std::string::npos);
  CHECK(tree.message().find("no tree-sitter grammar") != std::string::npos);
}

TEST_CASE("syntax tree: several edits, one reparse") {
  const Language& python = language_for("python", "");
  std::string text = "def f(a):\n    return a\n";
  SyntaxTree tree = must_parse(python, text);
  // Rename the parameter and its use: two edits (each after the previous one), one reparse.
  tree.edit(apply_edit(text, text.find("a)"), text.find("a)") + 1, "value"));
  tree.edit(apply_edit(text, text.rfind('a'), text.rfind('a') + 1, "value"));
  REQUIRE(text == "def f(value):\n    return value\n");
  REQUIRE(tree.reparse(text).is_ok());
  CHECK(tree.last_parse_incremental());
  CHECK(tree.sexp() == must_parse(python, text).sexp());
  CHECK(node_text(tree.node_at(static_cast<uint32_t>(text.rfind("value"))), text) == "value");
}

TEST_CASE("syntax tree: an inconsistent edit falls back to a parse from scratch") {
  const Language& go = language_for("go", "");
  std::string text = "package main\n\nfunc main() {}\n";
  SyntaxTree tree = must_parse(go, text);
  ByteEdit backwards = apply_edit(text, 14, 14, "var x = 1\n");
  backwards.old_end_byte = 0;  // before start_byte
  REQUIRE(tree.edit_and_reparse(backwards, text).is_ok());
  CHECK_FALSE(tree.last_parse_incremental());
  CHECK(tree.sexp() == must_parse(go, text).sexp());
  ByteEdit past_end = apply_edit(text, 0, 0, "");
  past_end.old_end_byte = past_end.new_end_byte = 10000;
  REQUIRE(tree.edit_and_reparse(past_end, text).is_ok());
  CHECK_FALSE(tree.last_parse_incremental());
  text += "// a change no edit reported\n";
  REQUIRE(tree.reparse(text).is_ok());
  CHECK_FALSE(tree.last_parse_incremental());
  CHECK(tree.sexp() == must_parse(go, text).sexp());
  const ByteEdit consistent = apply_edit(text, 0, 0, "// head\n");
  REQUIRE(tree.edit_and_reparse(consistent, text).is_ok());
  CHECK(tree.last_parse_incremental());  // back in step
  CHECK(tree.sexp() == must_parse(go, text).sexp());
}

namespace {

// splitmix64: the same sequence with every standard library (std::*_distribution is not).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

bool is_continuation(std::string_view text, size_t i) {
  return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
}

struct Fuzzer {
  Fuzzer(uint64_t seed, std::string_view source, std::vector<std::string_view> pieces)
      : rng{seed}, original(source), fragments(std::move(pieces)), text(source) {}
  Rng rng;
  std::string_view original;
  std::vector<std::string_view> fragments;
  std::string text;
  // The last edit: typing goes on near it, and it is undone now and then.
  size_t last_start = 0, last_inserted = 0;
  std::string last_removed;
  bool can_undo = false;
  ByteEdit replace(size_t start, size_t end, std::string inserted) {
    last_start = start;
    last_inserted = inserted.size();
    last_removed = text.substr(start, end - start);
    can_undo = true;
    return apply_edit(text, start, end, inserted);
  }
  // A random UTF-8-aligned range replaced by 0..3 fragments; the text stays near its size.
  ByteEdit random_edit() {
    if (can_undo && rng.below(4) == 0) {
      can_undo = false;
      return apply_edit(text, last_start, last_start + last_inserted, last_removed);
    }
    const size_t near = last_start + last_inserted;
    size_t start = rng.below(2) == 0 ? near - std::min<size_t>(near, 8) + rng.below(24)
                                     : rng.below(text.size() + 1);
    start = std::min(start, text.size());
    while (is_continuation(text, start)) --start;
    const bool shrink = text.size() > original.size(), grow = text.size() < original.size();
    size_t length = 0;
    switch (rng.below(4)) {
      case 0: break;                               // pure insertion
      case 1: length = 1 + rng.below(3); break;    // a character or so
      case 2: length = rng.below(12); break;       // a token or two
      default: length = rng.below(shrink ? 120 : 30); break;
    }
    size_t end = std::min(text.size(), start + length);
    while (is_continuation(text, end)) ++end;
    std::string inserted;
    for (size_t i = 0, n = rng.below(3) + (grow ? 1 : 0); i < n; ++i)
      inserted += fragments[rng.below(fragments.size())];
    return replace(start, end, std::move(inserted));
  }
};

std::string describe(const std::vector<ByteEdit>& edits) {
  auto n = [](uint32_t v) { return std::to_string(v); };
  auto pt = [&](BytePoint p) { return n(p.row) + ":" + n(p.column); };
  std::string s;
  for (const ByteEdit& e : edits)
    s += "\n  bytes " + n(e.start_byte) + ".." + n(e.old_end_byte) + " -> .." +
         n(e.new_end_byte) + ", points " + pt(e.start_point) + ".." + pt(e.old_end_point) +
         " -> .." + pt(e.new_end_point);
  return s;
}

// Fragments of every language: brackets, quotes, newlines, multi-byte characters.
std::vector<std::string_view> with_common(std::vector<std::string_view> fragments) {
  for (std::string_view f : {"(", ")", "[", "]", "{", "}", "\n", "\"", "'", "\\", ", ", ".",
                             " ", "é", "→", "😀", "中文", "\r\n", "\t"})
    fragments.push_back(f);
  return fragments;
}

// 1,000 steps of random edits from a real source, each compared with a fresh parse of the new
// text. Every 10th step makes several edits before one reparse; every 20th puts the original
// source back (a revert). Error-free text must get exactly the fresh parse's tree. Broken text
// need not: error recovery can take another path when subtrees are reused (tree-sitter's own
// randomized tests compare trees only once the edits are undone), so that is tolerated a few
// times per 1,000 steps (the first is shown) if the tree still has errors; it is kept, as a
// server would keep it.
void check_random_edits(std::string_view language_id, std::string_view source, uint64_t seed,
                        std::vector<std::string_view> fragments) {
  const Language& language = language_for(language_id, "");
  Fuzzer fuzz(seed, source, with_common(std::move(fragments)));
  SyntaxTree tree = must_parse(language, fuzz.text);
  REQUIRE_FALSE(tree.has_error());  // the starting source is real, valid code
  int valid = 0, failures = 0, divergences = 0;
  bool diverged = false;  // the tree differed from a fresh parse after the previous step
  for (int step = 1; step <= 1000 && failures < 3; ++step) {
    const std::string before = fuzz.text;
    const bool had_errors = tree.has_error();
    std::vector<ByteEdit> edits;
    if (step % 20 == 15) {
      edits.push_back(fuzz.replace(0, fuzz.text.size(), std::string(source)));
    } else {
      for (size_t i = 0, n = step % 10 == 0 ? 2 + fuzz.rng.below(4) : 1; i < n; ++i)
        edits.push_back(fuzz.random_edit());
    }
    for (const ByteEdit& e : edits) tree.edit(e);
    REQUIRE(tree.reparse(fuzz.text).is_ok());
    const SyntaxTree fresh = must_parse(language, fuzz.text);
    valid += fresh.has_error() ? 0 : 1;
    // The old tree was reused (so the edits added up), except for the repair of a broken one.
    const bool reuse_ok = tree.last_parse_incremental() == (!had_errors || fresh.has_error());
    const bool same = tree.sexp() == fresh.sexp();
    const bool tolerated = fresh.has_error() && tree.has_error();
    if (!same && tolerated && reuse_ok && !diverged && ++divergences == 1) {
      MESSAGE(language_id << " step " << step << ": broken text, the incremental tree differs "
                          << "from a fresh parse (tolerated) after" << describe(edits));
    }
    diverged = !same;
    if ((same || tolerated) && reuse_ok) continue;
    ++failures;
    FAIL_CHECK("step " << step << ": the incremental tree "
                       << std::string_view(same ? "is right but the old tree was not reused"
                                                : "is wrong")
                       << " after" << describe(edits) << "\n--- text before ---\n" << before
                       << "\n--- text after ---\n" << fuzz.text << "\n--- incremental ---\n"
                       << tree.sexp() << "\n--- fresh ---\n" << fresh.sexp());
  }
  CHECK(divergences <= 15);  // 0..9 per language over 15 seeds
  MESSAGE(language_id << ": " << valid << " of 1000 texts error-free; " << divergences
                      << " divergence(s) on broken text");
}

// Real code of each language, the start of the randomized edits.
constexpr std::string_view kPythonSource = R"SRC(import dataclasses
from collections import defaultdict
from typing import Iterable, Optional

@dataclasses.dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int = 0

class Lexer:
    """Splits source text into tokens; keeps line numbers."""

    KEYWORDS = {"if", "else", "while", "return", "défaut"}

    def __init__(self, source: str) -> None:
        self.source = source
        self.counts: dict[str, int] = defaultdict(int)

    def tokens(self) -> Iterable[Token]:
        for line_no, line in enumerate(self.source.splitlines(), start=1):
            for word in line.split():
                kind = "keyword" if word in self.KEYWORDS else "name"
                self.counts[kind] += 1
                yield Token(kind, word, line_no)

async def fetch_all(urls, session, *, limit=4, **options) -> Optional[list]:
    results = []
    async with session.limit(limit) as pool:
        for url in urls:
            try:
                body = await pool.get(url, timeout=options.get("timeout", 2.5))
            except (TimeoutError, ConnectionError) as exc:
                print(f"skip {url!r}: {exc} → ∅")
                continue
            results.append(body[:100] if len(body) > 100 else body)
    squares = {n: n ** 2 for n in range(10) if n % 2 == 0}
    return results if sum(map(lambda r: len(r), results)) and not squares else None
)SRC";

constexpr std::string_view kJavaScriptSource = R"SRC('use strict';
import { readFile } from 'node:fs/promises';

const DEFAULTS = Object.freeze({ retries: 3, delayMs: 250, label: 'fetch→cache' });

export class Cache {
  #entries = new Map();
  constructor(limit = 100) { this.limit = limit; }

  set(key, value) {
    if (this.#entries.size >= this.limit) {
      const [oldest] = this.#entries.keys();
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, at: Date.now() });
    return this;
  }

  *[Symbol.iterator]() {
    for (const [key, { value }] of this.#entries) yield [key, value];
  }
}

async function withRetries(fn, { retries, delayMs } = DEFAULTS) {
  let lastError = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** attempt));
    }
  }
  throw new Error(`gave up after ${retries + 1} tries: ${lastError?.message ?? 'unknown'}`);
}

export default async function loadAll(files, cache = new Cache()) {
  const texts = await Promise.all(files.map((f) => withRetries(() => readFile(f, 'utf8'))));
  texts.forEach((text, i) => cache.set(files[i], text.split(/\r?\n/).length));
  return [...cache].reduce((sum, [, lines]) => sum + lines, 0);
}
)SRC";

constexpr std::string_view kCppSource = R"SRC(#include <algorithm>
#include <map>
#include <vector>

#define CHECK_POSITIVE(x) \
  do { if ((x) <= 0) throw std::invalid_argument(#x); } while (0)

namespace demo {

// A word counter; "naïve" on purpose.
template <typename Key, typename Count = long>
class Histogram {
 public:
  explicit Histogram(Count step = 1) : step_(step) { CHECK_POSITIVE(step); }

  Histogram& add(const Key& key) {
    counts_[key] += step_;
    return *this;
  }

  [[nodiscard]] std::vector<Key> top(std::size_t n) const {
    std::vector<std::pair<Key, Count>> items(counts_.begin(), counts_.end());
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<Key> keys;
    for (std::size_t i = 0; i < std::min(n, items.size()); ++i) keys.push_back(items[i].first);
    return keys;
  }

 private:
  std::map<Key, Count> counts_;
  Count step_;
};

}  // namespace demo

int main(int argc, char** argv) {
  demo::Histogram<std::string> words;
  for (int i = 1; i < argc; ++i) words.add(argv[i]);
  const char* greeting = u8"héllo, wörld → 😀";
  std::string s = R"(raw "quoted" text)";
  return argc > 1 ? static_cast<int>(words.top(3).size() + s.size()) : *greeting;
}
)SRC";

constexpr std::string_view kRustSource = R"SRC(use std::collections::HashMap;
use std::fmt::{self, Display};

/// A tiny inventory; names may be "ünïcode".
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> { pub name: &'a str, pub count: u32 }

pub enum Error {
    Missing(String),
    TooMany { wanted: u32, have: u32 },
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(name) => write!(f, "missing {name}"),
            Error::TooMany { wanted, have } => write!(f, "wanted {} → have {}", wanted, have),
        }
    }
}

pub fn take<'a>(items: &mut HashMap<&'a str, Item<'a>>, name: &str, n: u32) -> Result<u32, Error> {
    let item = items.get_mut(name).ok_or_else(|| Error::Missing(name.to_string()))?;
    if item.count < n {
        return Err(Error::TooMany { wanted: n, have: item.count });
    }
    item.count -= n;
    Ok(item.count)
}

fn main() {
    let mut items = HashMap::new();
    items.insert("apple", Item { name: "apple", count: 3 });
    for (i, r) in ["apple", "kiwi"].iter().map(|n| take(&mut items, n, 2)).enumerate() {
        match r {
            Ok(left) if left > 0 => println!("{i}: {:.2}", left as f64 / 100.0),
            Ok(_) => {}
            Err(e) => eprintln!("{i}: {e} 😀 {}", r#"a "raw" string"#),
        }
    }
}
)SRC";

}  // namespace

TEST_CASE("syntax tree: randomized incremental reparse, python") {
  check_random_edits("python", kPythonSource, 0x5eed0001, {
    ":", "\n    ", "\n        ", "\"\"\"", "f\"{x}\"", "# é\n", "lambda y: y", "if x:\n", "else:",
    "def g(a, b):\n    return a\n", "class K:\n    pass\n", "x = 1", "@decorator\n", "return ",
    "yield", " and ", "not ", "[i for i in xs]", "**kw", "async ", "await ", "try:\n"});
}

TEST_CASE("syntax tree: randomized incremental reparse, javascript") {
  check_random_edits("javascript", kJavaScriptSource, 0x5eed0002, {
    ";", "\n  ", "`", "${x}", "/* c */", "// é\n", "/", "/re+/g", "=>", "class K {}\n",
    "function f(a) { return a; }\n", "if (x) {", "} else {", "const y = ", "?.", "<div>{x}</div>",
    "return ", "yield ", "await ", "...", "#priv", "= ", "++", "0x1F"});
}

TEST_CASE("syntax tree: randomized incremental reparse, c++") {
  check_random_edits("cpp", kCppSource, 0x5eed0003, {
    "<", ">", ";", "\n  ", "R\"(", ")\"", "/* c */", "// é\n", "#if X\n", "#endif\n", "::",
    "template <class T> ", "int f(int a) { return a; }\n", "class K {};\n", "if (x) {", "} else {",
    "auto y = ", "->", "\\\n", "return ", "&&", "*", "[[nodiscard]] ", "std::vector<int>",
    "'\\n'"});
}

TEST_CASE("syntax tree: randomized incremental reparse, rust") {
  check_random_edits("rust", kRustSource, 0x5eed0004, {
    "<", ">", ";", "\n    ", "'a", "r#\"", "\"#", "/* c */", "// é\n", "/// doc\n", "::", "|x| x",
    "fn f(a: u32) -> u32 { a }\n", "struct K;\n", "impl K {}\n", "if x {", "} else {", "let y = ",
    "->", "=>", "return ", "mut ", "&", "?", "#[test]\n", "println!(\"{}\", x)", "'\\n'"});
}

// Found by the randomized test: tree-sitter alone keeps `Key` in `std::pair<Key, Count>` (line
// 22) as an expression after this repair on line 11, unlike a fresh parse; SyntaxTree reparses.
TEST_CASE("syntax tree: repaired c++ gets the fresh tree, not one reused from the broken text") {
  const Language& cpp = language_for("cpp", "");
  const std::string_view good = "template <typename Key, typename Count = long>";
  const std::string_view broken = "template <typena// é\nstd::vector<int>t = long>";
  std::string text(kCppSource);
  const size_t at = text.find(good);
  text.replace(at, good.size(), broken);
  SyntaxTree tree = must_parse(cpp, text);
  REQUIRE(tree.has_error());
  const ByteEdit repair = apply_edit(text, at, at + broken.size(), good);
  REQUIRE(tree.edit_and_reparse(repair, text).is_ok());
  CHECK(text == kCppSource);
  CHECK_FALSE(tree.last_parse_incremental());
  CHECK(tree.sexp() == must_parse(cpp, text).sexp());
}

#endif  // INFILLD_HAVE_TREE_SITTER
