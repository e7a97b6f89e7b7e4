// LineIndex: LSP positions in the three encodings, line endings, clamping, invalid input,
// tree-sitter points, and incremental replace() against a fresh build.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "context/line_index.h"

using infilld::context::BytePoint;
using infilld::context::LineIndex;
using infilld::context::Position;
using infilld::context::PositionEncoding;

namespace {

constexpr PositionEncoding kUtf8 = PositionEncoding::Utf8;
constexpr PositionEncoding kUtf16 = PositionEncoding::Utf16;
constexpr PositionEncoding kUtf32 = PositionEncoding::Utf32;
constexpr PositionEncoding kAll[] = {kUtf8, kUtf16, kUtf32};

// a (1 byte), é (2), € (3), 😀 (4: a surrogate pair in UTF-16), b (1).
const std::string kMixed = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" "b";

size_t offset(const LineIndex& index, Position p, PositionEncoding e) {
  auto r = index.offset_of(p, e);
  REQUIRE_MESSAGE(r.is_ok(), r.message());
  return *r;
}

std::string failure(const LineIndex& index, Position p, PositionEncoding e) {
  auto r = index.offset_of(p, e);
  REQUIRE_FALSE(r.is_ok());
  return r.message();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("line index: positions in UTF-8, UTF-16 and UTF-32 on 1- to 4-byte characters") {
  const LineIndex index("x\n" + kMixed + "\n");
  REQUIRE(index.line_count() == 3);
  // Each character boundary of line 1: byte offset in the text, then its character in
  // UTF-8 / UTF-16 / UTF-32.
  struct Row { size_t byte; int64_t u8, u16, u32; };
  const Row rows[] = {{2, 0, 0, 0},  {3, 1, 1, 1},  {5, 3, 2, 2},
                      {8, 6, 3, 3},  {12, 10, 5, 4}, {13, 11, 6, 5}};
  for (const Row& r : rows) {
    CAPTURE(r.byte);
    CHECK(offset(index, {1, r.u8}, kUtf8) == r.byte);
    CHECK(offset(index, {1, r.u16}, kUtf16) == r.byte);
    CHECK(offset(index, {1, r.u32}, kUtf32) == r.byte);
    CHECK(index.position_of(r.byte, kUtf8) == Position{1, r.u8});
    CHECK(index.position_of(r.byte, kUtf16) == Position{1, r.u16});
    CHECK(index.position_of(r.byte, kUtf32) == Position{1, r.u32});
  }
  CHECK(index.line_start(1) == 2);
  CHECK(index.line_end(1) == 13);
  CHECK(index.point_of(8) == BytePoint{1, 6});
}

TEST_CASE("line index: a position inside a surrogate pair or a UTF-8 sequence is rejected") {
  const LineIndex index(kMixed);
  CHECK(contains(failure(index, {0, 4}, kUtf16), "surrogate pair"));
  CHECK(contains(failure(index, {0, 4}, kUtf16), "use 3 or 5"));
  for (int64_t inside : {2, 4, 5, 7, 8, 9}) {
    CAPTURE(inside);
    CHECK(contains(failure(index, {0, inside}, kUtf8), "falls inside a"));
  }
  CHECK(contains(failure(index, {0, 8}, kUtf8), "use 6 or 10"));
  for (int64_t c = 0; c <= 6; ++c) CHECK(index.offset_of({0, c}, kUtf32).is_ok());
  // position_of() never fails: an offset inside a character means that character's start.
  CHECK(index.position_of(2, kUtf8) == Position{0, 1});
  CHECK(index.position_of(4, kUtf16) == Position{0, 2});
  CHECK(index.position_of(9, kUtf16) == Position{0, 3});
  CHECK(index.position_of(7, kUtf32) == Position{0, 3});
}

TEST_CASE("line index: CRLF, lone CR and mixed line endings") {
  const LineIndex index("a\r\nb\rc\nd\r");  // lines: "a", "b", "c", "d", ""
  REQUIRE(index.line_count() == 5);
  const size_t starts[] = {0, 3, 5, 7, 9};
  for (int64_t line = 0; line < 5; ++line) {
    for (PositionEncoding e : kAll)
      CHECK(offset(index, {line, 0}, e) == starts[line]);
    CHECK(index.position_of(starts[line], kUtf16) == Position{line, 0});
  }
  CHECK(index.line_end(0) == 1);  // before "\r\n"
  CHECK(index.line_end(1) == 4);  // before the lone "\r"
  CHECK(offset(index, {0, 1}, kUtf16) == 1);
  CHECK(offset(index, {0, 2}, kUtf16) == 1);  // clamped: never between '\r' and '\n'
  CHECK(index.position_of(2, kUtf16) == Position{0, 1});
  CHECK(offset(index, {4, 0}, kUtf8) == 9);
  // tree-sitter rows count '\n' only: "a\r\n" | "b\rc\n" | "d\r".
  CHECK(index.point_of(0) == BytePoint{0, 0});
  CHECK(index.point_of(2) == BytePoint{0, 2});
  CHECK(index.point_of(5) == BytePoint{1, 2});
  CHECK(index.point_of(7) == BytePoint{2, 0});
  CHECK(index.point_of(9) == BytePoint{2, 2});
  CHECK(index.point_of(100) == BytePoint{2, 2});

  CHECK(LineIndex("\r").line_count() == 2);
  CHECK(LineIndex("\r\n").line_count() == 2);
  CHECK(LineIndex("\n\r").line_count() == 3);
  const LineIndex runs("\r\r\n\n");  // "", "" (after lone \r), "" (after \r\n), "" (after \n)
  REQUIRE(runs.line_count() == 4);
  CHECK(offset(runs, {1, 0}, kUtf8) == 1);
  CHECK(offset(runs, {2, 0}, kUtf8) == 3);
  CHECK(offset(runs, {3, 0}, kUtf8) == 4);
  CHECK(runs.point_of(4) == BytePoint{2, 0});
}

TEST_CASE("line index: the empty text") {
  const LineIndex index("");
  CHECK(index.line_count() == 1);
  for (PositionEncoding e : kAll) {
    CHECK(offset(index, {0, 0}, e) == 0);
    CHECK(offset(index, {0, 7}, e) == 0);
    CHECK(index.position_of(0, e) == Position{0, 0});
    CHECK(index.position_of(5, e) == Position{0, 0});
    CHECK(contains(failure(index, {1, 0}, e), "past the end"));
  }
  CHECK(index.point_of(0) == BytePoint{0, 0});
  CHECK(LineIndex() == index);
}

TEST_CASE("line index: a position at the very end of the text") {
  const LineIndex no_break("ab\n\xF0\x9F\x98\x80");
  CHECK(offset(no_break, {1, 2}, kUtf16) == 7);
  CHECK(offset(no_break, {1, 1}, kUtf32) == 7);
  CHECK(offset(no_break, {1, 4}, kUtf8) == 7);
  CHECK(no_break.position_of(7, kUtf16) == Position{1, 2});
  CHECK(no_break.point_of(7) == BytePoint{1, 4});
  const LineIndex with_break("ab\r\n");
  CHECK(with_break.line_count() == 2);
  CHECK(offset(with_break, {1, 0}, kUtf16) == 4);
  CHECK(with_break.position_of(4, kUtf16) == Position{1, 0});
  CHECK(with_break.position_of(999, kUtf8) == Position{1, 0});
  CHECK(contains(failure(with_break, {2, 0}, kUtf16), "has 2 line(s)"));
}

TEST_CASE("line index: a character past the end of its line clamps to the line's end") {
  const LineIndex index(kMixed + "\r\n" + kMixed + "\r" + kMixed);
  for (PositionEncoding e : kAll) {
    CHECK(offset(index, {0, 11}, e) == 11);
    CHECK(offset(index, {0, 1000000}, e) == 11);
    CHECK(offset(index, {1, 12}, e) == 24);
    CHECK(offset(index, {2, 99}, e) == 36);
  }
  CHECK(offset(index, {0, 6}, kUtf16) == 11);  // exactly the end is not clamped
  CHECK(offset(index, {0, 7}, kUtf16) == 11);
}

TEST_CASE("line index: negative values and lines past the end are errors") {
  const LineIndex index("one\ntwo");
  for (PositionEncoding e : kAll) {
    CHECK(contains(failure(index, {-1, 0}, e), "0 or more"));
    CHECK(contains(failure(index, {0, -1}, e), "0 or more"));
    CHECK(contains(failure(index, {2, 0}, e), "line 2 is past the end"));
    CHECK(contains(failure(index, {INT64_MAX, 0}, e), "past the end"));
  }
  CHECK(offset(index, {1, INT64_MAX}, kUtf16) == 7);
}

TEST_CASE("line index: invalid UTF-8 counts one unit per byte and never crashes") {
  // Lone tail, bad lead, overlong, encoded surrogate, above U+10FFFF, truncated 3 and 4 bytes.
  const std::string bad =
      "\x80\xFF\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80\xE2\x82\xF0\x9F\x98";
  const LineIndex index(bad);
  for (size_t i = 0; i <= bad.size(); ++i) {
    for (PositionEncoding e : kAll) {
      CHECK(index.position_of(i, e) == Position{0, static_cast<int64_t>(i)});
      CHECK(offset(index, {0, static_cast<int64_t>(i)}, e) == i);
    }
  }
  // Valid characters around invalid bytes keep their own widths.
  const LineIndex around("\xFF\xC3\xA9\x80\xF0\x9F\x98\x80\xE2");
  CHECK(offset(around, {0, 2}, kUtf16) == 3);
  CHECK(offset(around, {0, 3}, kUtf16) == 4);
  CHECK(contains(failure(around, {0, 4}, kUtf16), "surrogate pair"));
  CHECK(offset(around, {0, 5}, kUtf16) == 8);
  CHECK(offset(around, {0, 6}, kUtf32) == 9);
  CHECK(contains(failure(around, {0, 2}, kUtf8), "inside a 2-byte"));
  CHECK(around.position_of(9, kUtf16) == Position{0, 6});
}

TEST_CASE("line index: replace keeps the tables equal to a fresh build") {
  // Every text of up to 5 characters over {a, \r, \n, é} and every edit of it by a few
  // replacements: the incrementally updated index must equal a fresh one.
  const std::vector<std::string> alphabet = {"a", "\r", "\n", "\xC3\xA9"};
  const std::vector<std::string> replacements = {"",    "\n",  "\r", "\r\n",
                                                 "a\r", "\nb", "\xF0\x9F\x98\x80"};
  std::vector<std::string> texts = {""};
  for (size_t n = 0, begin = 0; n < 5; ++n) {
    const size_t end = texts.size();
    for (size_t t = begin; t < end; ++t)
      for (const std::string& c : alphabet) texts.push_back(texts[t] + c);
    begin = end;
  }
  int64_t checked = 0;
  for (const std::string& text : texts) {
    for (size_t start = 0; start <= text.size(); ++start) {
      for (size_t end = start; end <= text.size(); ++end) {
        for (const std::string& r : replacements) {
          LineIndex index(text);
          index.replace(start, end, r);
          std::string expected = text;
          expected.replace(start, end - start, r);
          if (!(index == LineIndex(expected))) {
            CAPTURE(text);
            CAPTURE(start);
            CAPTURE(end);
            CAPTURE(r);
            FAIL("incremental replace differs from a fresh build");
          }
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 100000);
  // Clamped arguments do not crash.
  LineIndex index("abc");
  index.replace(10, 20, "\r");
  CHECK(index == LineIndex("abc\r"));
}
