// Completion shape from the syntax at the cursor, and the post-processing of the model's
// middle, on real-looking code in several languages.
#include <doctest/doctest.h>

#include <string>

#include "context/languages.h"
#include "context/postprocess.h"
#include "context/shape.h"
#include "context/syntax_tree.h"

using namespace infilld::context;

namespace {

// The text with "<|>" marking the cursor, split into text and offset.
std::pair<std::string, size_t> at_cursor(std::string marked) {
  const size_t at = marked.find("<|>");
  REQUIRE(at != std::string::npos);
  marked.erase(at, 3);
  return {marked, at};
}

Shape shape_of(const char* language, const std::string& marked, bool explicit_request = false) {
  auto [text, cursor] = at_cursor(marked);
  auto tree = SyntaxTree::parse(language_for(language, ""), text);
  REQUIRE(tree.is_ok());
  return completion_shape(text, cursor, &*tree, explicit_request);
}

std::string post(const std::string& marked, const std::string& middle, ShapeKind shape) {
  auto [text, cursor] = at_cursor(marked);
  return postprocess({middle, std::string_view(text).substr(0, cursor), std::string_view(text).substr(cursor), shape});
}

}  // namespace

TEST_CASE("shape: single line mid-expression, multi-line after a block opener or on an empty line") {
  CHECK(shape_of("python", "def f(x):\n    return x +<|>\n").kind == ShapeKind::SingleLine);
  CHECK(shape_of("python", "def f(x):<|>\n").kind == ShapeKind::MultiLine);
  CHECK(shape_of("python", "def f(x):\n    <|>\n").kind == ShapeKind::MultiLine);
  CHECK(shape_of("cpp", "int main() {<|>\n}\n").kind == ShapeKind::MultiLine);
  CHECK(shape_of("go", "func f() int {\n\treturn g(<|>)\n}\n").kind == ShapeKind::SingleLine);
  CHECK(shape_of("rust", "fn f() -> i32 {\n    let x = <|>;\n}\n").kind == ShapeKind::SingleLine);
  CHECK(shape_of("java", "class A {\n  void f() {\n    <|>\n  }\n}\n").kind == ShapeKind::MultiLine);
  CHECK(shape_of("javascript", "const x = [1, 2, <|>];\n").kind == ShapeKind::SingleLine);
  CHECK(shape_of("typescript", "function f(a: number) {\n  return a<|>\n}\n").max_tokens > 0);
}

TEST_CASE("shape: none beside code to the right, or in strings and comments unless asked") {
  CHECK(shape_of("python", "x = foo(<|>a, b)\n").kind == ShapeKind::None);
  CHECK(shape_of("python", "x = foo(<|>a, b)\n", true).kind != ShapeKind::None);
  CHECK(shape_of("python", "s = \"hello <|>world\"\n").kind == ShapeKind::None);
  CHECK(shape_of("c", "int x; /* a comment <|> */\n").kind == ShapeKind::None);
  CHECK(shape_of("rust", "// note: <|>\nfn main() {}\n").kind == ShapeKind::None);
  CHECK(shape_of("rust", "// note: <|>\nfn main() {}\n", true).kind == ShapeKind::SingleLine);
  CHECK(shape_of("tsx", "const a = <div><|></div>;\n").kind == ShapeKind::None);
}

TEST_CASE("postprocess: one line for a single-line shape, the unit for a multi-line one") {
  CHECK(post("x = foo(<|>\n", "a, b)\ny = 2\n", ShapeKind::SingleLine) == "a, b)");
  // Python body: stop where the indentation falls back to the def's level.
  CHECK(post("def f(x):<|>\n", "\n    y = x * 2\n    return y\ndef g():\n    pass", ShapeKind::MultiLine) ==
        "\n    y = x * 2\n    return y");
  // C-like block: the closing brace at the opener's level ends the unit, and is kept.
  CHECK(post("int f() {<|>\n", "\n    int y = 1;\n    return y;\n}\nint g() {}", ShapeKind::MultiLine) ==
        "\n    int y = 1;\n    return y;\n}");
}

TEST_CASE("postprocess: no duplicate of the suffix, no doubled closers, nothing empty or repetitive") {
  // The model repeats the line that follows the cursor: dropped.
  CHECK(post("def f(x):\n    <|>\n    return y\n", "y = x + 1\n    return y", ShapeKind::MultiLine) == "y = x + 1");
  // The editor auto-closed the parenthesis: the suggestion does not type it again.
  CHECK(post("print(<|>)\n", "\"hello\")", ShapeKind::SingleLine) == "\"hello\"");
  CHECK(post("x = <|>\n", "   \n  ", ShapeKind::MultiLine).empty());
  CHECK(post("def f():\n    <|>\n", "pass\n    pass\n    pass\n    pass", ShapeKind::MultiLine).empty());
}

TEST_CASE("postprocess: the file's tabs are kept") {
  const std::string out = post("func f() {\n\tif x {<|>\n\t}\n}\n", "\n        y()\n", ShapeKind::MultiLine);
  CHECK(out == "\n\t\ty()");
}

TEST_CASE("postprocess: the unit ends where the block does, in every language") {
  struct Case {
    const char* language;
    const char* before;  // the text up to the cursor (after a block opener)
    const char* middle;  // what the model wrote: the body, the block's end, then more
    const char* expected;
  };
  const Case cases[] = {
      {"c", "int f(int n) {", "\n    return n * 2;\n}\n\nint g(void) {\n    return 0;\n}", "\n    return n * 2;\n}"},
      {"cpp", "int f(int n) {", "\n    return n * 2;\n}\nint g();", "\n    return n * 2;\n}"},
      {"python", "def f(n):", "\n    return n * 2\n\ndef g():\n    return 0", "\n    return n * 2"},
      {"javascript", "function f(n) {", "\n  return n * 2;\n}\nfunction g() {}", "\n  return n * 2;\n}"},
      {"typescript", "function f(n: number) {", "\n  return n * 2;\n}\nconst x = 1;", "\n  return n * 2;\n}"},
      {"tsx", "function F() {", "\n  return <div />;\n}\nexport default F;", "\n  return <div />;\n}"},
      {"go", "func f(n int) int {", "\n\treturn n * 2\n}\n\nfunc g() {}", "\n\treturn n * 2\n}"},
      {"rust", "fn f(n: i32) -> i32 {", "\n    n * 2\n}\n\nfn g() {}", "\n    n * 2\n}"},
      {"java", "  int f(int n) {", "\n    return n * 2;\n  }\n  int g() { return 0; }", "\n    return n * 2;\n  }"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.language);
    const std::string marked = std::string(c.before) + "<|>\n";
    CHECK(shape_of(c.language, marked).kind == ShapeKind::MultiLine);
    CHECK(post(marked, c.middle, ShapeKind::MultiLine) == c.expected);
  }
}

TEST_CASE("postprocess: brackets and quotes balanced against the suffix") {
  // The suffix's ")" closes print( : the suggestion's copy goes.
  CHECK(post("print(<|>)\n", "x + 1)", ShapeKind::SingleLine) == "x + 1");
  // Two open, the suggestion closes the inner one, the suffix the outer: nothing to drop.
  CHECK(post("f(g(<|>)\n", "x)", ShapeKind::SingleLine) == "x)");
  // Nested closers: "])" already in the suffix.
  CHECK(post("a = f([<|>])\n", "1, 2])", ShapeKind::SingleLine) == "1, 2");
  // Quotes: an auto-closed quote is not typed twice; an opening one is kept.
  CHECK(post("s = \"<|>\"\n", "hello\"", ShapeKind::SingleLine) == "hello");
  CHECK(post("s = <|>\n", "\"hello\"", ShapeKind::SingleLine) == "\"hello\"");
}

TEST_CASE("postprocess: with a grammar, a suggestion is cut back to where the file parses") {
  const std::string prefix = "def f(x):";
  const std::string suffix = "\n\nprint(f(1))\n";
  const std::string middle = "\n    y = x * 2\n    return y\n  z = (";  // a broken last line
  const std::string out = postprocess({middle, prefix, suffix, ShapeKind::MultiLine, &language_for("python", "")});
  CHECK(out == "\n    y = x * 2\n    return y");
  // Without a grammar only the text rules apply.
  CHECK(postprocess({middle, prefix, suffix, ShapeKind::MultiLine, nullptr}).ends_with("z = ("));
  // A suggestion that parses is left alone.
  const std::string good = "\n    return x + 1";
  CHECK(postprocess({good, prefix, suffix, ShapeKind::MultiLine, &language_for("python", "")}) == good);
  // C: a stray closing brace after the function's end is cut.
  CHECK(postprocess({"\n  return 1;\n}\n}", "int f(void) {", "\n", ShapeKind::MultiLine, &language_for("c", "")}) ==
        "\n  return 1;\n}");
}

TEST_CASE("postprocess: settled once the shape's cut falls on finished lines, and more text changes nothing") {
  const std::string prefix = "def f(xs):\n    for x in xs:\n        ";
  const std::string suffix = "\n    return xs\n";
  auto is_settled = [&](std::string_view middle, ShapeKind shape) {
    return settled({middle, prefix, suffix, shape});
  };
  // One line: settled by its line break, not before.
  CHECK_FALSE(is_settled("print(x)", ShapeKind::SingleLine));
  CHECK(is_settled("print(x)\n", ShapeKind::SingleLine));
  // The unit: settled by the first written line indented less than it; a blank or
  // indentation-only line does not settle it yet.
  CHECK_FALSE(is_settled("print(x)\n        y = x", ShapeKind::MultiLine));
  CHECK_FALSE(is_settled("print(x)\n    ", ShapeKind::MultiLine));
  CHECK(is_settled("print(x)\n    r", ShapeKind::MultiLine));
  // Settled means final: whatever the model writes after it, the suggestion is the same.
  for (const auto& [middle, shape] : {std::pair{std::string("print(x)\n"), ShapeKind::SingleLine},
                                      std::pair{std::string("print(x)\n        y = x\n    r"), ShapeKind::MultiLine}}) {
    REQUIRE(is_settled(middle, shape));
    const std::string now = postprocess({middle, prefix, suffix, shape});
    for (const char* more : {"", "eturn 1", "\n  z = 3\n", "}\n"})
      CHECK(postprocess({middle + more, prefix, suffix, shape}) == now);
  }
  // A closing line is kept, so it settles only once it is complete.
  const std::string c_prefix = "int f(int x) {\n  if (x) {";
  CHECK_FALSE(settled({"\n    g();\n  }", c_prefix, "\n}\n", ShapeKind::MultiLine}));
  CHECK(settled({"\n    g();\n  }\n", c_prefix, "\n}\n", ShapeKind::MultiLine}));
}

TEST_CASE("postprocess: a degenerate loop is cut after its first piece, and settles the suggestion") {
  const std::string prefix = "def is_prime(n):\n    for d in range(2, n):\n        ";
  const std::string suffix = "\n    return True\n";
  const std::string loop = " if == 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,";
  for (ShapeKind shape : {ShapeKind::SingleLine, ShapeKind::MultiLine}) {
    CHECK(postprocess({loop, prefix, suffix, shape}) == " if == 1, 0");
    CHECK(settled({loop, prefix, suffix, shape}));
    // Settled means final: more of the loop, or anything else, changes nothing.
    for (const char* more : {" 0, 0,", "\n        x = 1\n", "abc"})
      CHECK(postprocess({loop + more, prefix, suffix, shape}) == " if == 1, 0");
  }
  // Repeated lines are a loop too: the first is kept.
  const std::string lines = "x = 0\nx = 0\nx = 0\nx = 0\nx = 0\nx = 0\nx = 0\nx = 0\n";
  CHECK(postprocess({lines, prefix, suffix, ShapeKind::MultiLine}) == "x = 0");
  // Not loops: separators (no letter or digit), a short list, a loop still under the bound.
  for (const char* fine : {"# ----------------------------------------", "[0, 0, 0, 0, 0, 0]", "0, 0, 0, 0, 0, 0, 0"}) {
    CHECK(postprocess({fine, prefix, suffix, ShapeKind::SingleLine}) == fine);
    CHECK_FALSE(settled({fine, prefix, suffix, ShapeKind::SingleLine}));
  }
}

TEST_CASE("postprocess: the loop cut keeps whole characters, and comes after the shape's cut") {
  const std::string prefix = "def f(xs):\n    for x in xs:\n        ";
  // The run of equal bytes starts inside the character before the loop: the cut still
  // ends on a whole character.
  std::string middle = "\xC2\xA9";  // ©
  for (int i = 0; i < 9; ++i) middle += "1\xC3\xA9";  // 1é
  const std::string out = postprocess({middle, prefix, "", ShapeKind::SingleLine});
  CHECK(out == "\xC2\xA9" "1\xC3\xA9");
  // A block's closing line settles the unit; a loop that more text would complete, reaching
  // back into the kept lines, must not change it.
  const std::string c_prefix = "int f(int x) {\n  if (x) {";
  const std::string unit = "\n    g();\n  } while (x);\n";
  REQUIRE(settled({unit, c_prefix, "\n}\n", ShapeKind::MultiLine}));
  const std::string now = postprocess({unit, c_prefix, "\n}\n", ShapeKind::MultiLine});
  std::string more = unit;
  for (int i = 0; i < 8; ++i) more += "  } while (x);\n";
  CHECK(postprocess({more, c_prefix, "\n}\n", ShapeKind::MultiLine}) == now);
}
