// Document: didChange edits in order, exact ByteEdits, atomic rejection, stale versions, a
// randomized run against a naive reference, and 1000 small edits on a 1 MB document.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "context/document.h"

using infilld::context::ByteEdit;
using infilld::context::BytePoint;
using infilld::context::Document;
using infilld::context::LineIndex;
using infilld::context::Position;
using infilld::context::PositionEncoding;
using infilld::context::Range;
using infilld::context::TextEdit;

namespace {

constexpr PositionEncoding kUtf8 = PositionEncoding::Utf8;
constexpr PositionEncoding kUtf16 = PositionEncoding::Utf16;
constexpr PositionEncoding kUtf32 = PositionEncoding::Utf32;
constexpr PositionEncoding kEncodings[] = {kUtf8, kUtf16, kUtf32};

TextEdit edit(Position start, Position end, std::string text) {
  return TextEdit{Range{start, end}, std::move(text)};
}

std::vector<ByteEdit> apply_ok(Document& doc, std::vector<TextEdit> edits, int64_t version,
                               PositionEncoding encoding = kUtf16) {
  auto r = doc.apply(edits, version, encoding);
  REQUIRE_MESSAGE(r.is_ok(), r.message());
  return *r;
}

bool same(const ByteEdit& a, const ByteEdit& b) {
  return a.start_byte == b.start_byte && a.old_end_byte == b.old_end_byte &&
         a.new_end_byte == b.new_end_byte && a.start_point == b.start_point &&
         a.old_end_point == b.old_end_point && a.new_end_point == b.new_end_point;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("document: construction and accessors") {
  Document doc("file:///a.py", "python", 3, "x = 1\r\ny = 2\n");
  CHECK(doc.uri() == "file:///a.py");
  CHECK(doc.language_id() == "python");
  CHECK(doc.version() == 3);
  CHECK(doc.text() == "x = 1\r\ny = 2\n");
  CHECK(doc.line_index().line_count() == 3);
  CHECK(apply_ok(doc, {}, 4).empty());  // no edits: only the version moves
  CHECK(doc.version() == 4);
  CHECK(doc.text() == "x = 1\r\ny = 2\n");
}

TEST_CASE("document: insertion, deletion and replacement across lines") {
  // Bytes: h0 e1 l2 l3 o4 \n5 w6 ö7-8 r9 l10 d11 \r12 \n13 e14 n15 d16.
  Document doc("u", "c", 1, "hello\nw\xC3\xB6rld\r\nend");

  auto e = apply_ok(doc, {edit({1, 2}, {1, 2}, "X")}, 2);  // insert after "wö"
  CHECK(doc.text() == "hello\nw\xC3\xB6Xrld\r\nend");
  REQUIRE(e.size() == 1);
  CHECK(same(e[0], ByteEdit{9, 9, 10, {1, 3}, {1, 3}, {1, 4}}));

  e = apply_ok(doc, {edit({0, 3}, {1, 1}, "")}, 3);  // delete "lo\nw"
  CHECK(doc.text() == "hel\xC3\xB6Xrld\r\nend");
  CHECK(same(e[0], ByteEdit{3, 7, 3, {0, 3}, {1, 1}, {0, 3}}));

  // Replace "l\xC3\xB6Xrld\r\ne" (line 0 char 2 to line 1 char 1) by two lines.
  e = apply_ok(doc, {edit({0, 2}, {1, 1}, "Y\nZ")}, 4);
  CHECK(doc.text() == "heY\nZnd");
  CHECK(same(e[0], ByteEdit{2, 12, 5, {0, 2}, {1, 1}, {1, 1}}));
  CHECK(doc.version() == 4);

  // UTF-8 and UTF-32 positions on a 4-byte character; tree-sitter points in bytes.
  e = apply_ok(doc, {edit({1, 1}, {1, 1}, "\xF0\x9F\x98\x80")}, 5, kUtf32);
  CHECK(doc.text() == "heY\nZ\xF0\x9F\x98\x80nd");
  CHECK(same(e[0], ByteEdit{5, 5, 9, {1, 1}, {1, 1}, {1, 5}}));
  e = apply_ok(doc, {edit({1, 5}, {1, 6}, "")}, 6, kUtf8);  // delete "n"
  CHECK(doc.text() == "heY\nZ\xF0\x9F\x98\x80" "d");
  CHECK(same(e[0], ByteEdit{9, 10, 9, {1, 5}, {1, 6}, {1, 5}}));
  CHECK(doc.line_index() == LineIndex(doc.text()));
}

TEST_CASE("document: several edits in one call apply in order, each on the previous result") {
  Document doc("u", "c", 0, "abc\ndef");
  auto e = apply_ok(doc,
                    {edit({0, 0}, {0, 0}, "1\n"),    // "1\nabc\ndef"
                     edit({1, 0}, {1, 1}, "Z"),      // the "a", now on line 1
                     edit({2, 1}, {2, 99}, "!")},    // "ef" (end clamped) -> "!"
                    1);
  CHECK(doc.text() == "1\nZbc\nd!");
  REQUIRE(e.size() == 3);
  CHECK(same(e[0], ByteEdit{0, 0, 2, {0, 0}, {0, 0}, {1, 0}}));
  CHECK(same(e[1], ByteEdit{2, 3, 3, {1, 0}, {1, 1}, {1, 1}}));
  CHECK(same(e[2], ByteEdit{7, 9, 8, {2, 1}, {2, 3}, {2, 2}}));
}

TEST_CASE("document: an edit without range replaces the whole text") {
  Document doc("u", "c", 0, "old\r\ntext");
  auto e = apply_ok(doc, {TextEdit{std::nullopt, "new\ntext\xE2\x82\xAC"}}, 1);
  CHECK(doc.text() == "new\ntext\xE2\x82\xAC");
  CHECK(same(e[0], ByteEdit{0, 9, 11, {0, 0}, {1, 4}, {1, 7}}));
  CHECK(doc.line_index().line_count() == 2);
  // Mixed with ranged edits: those before it are overwritten, those after see its text.
  e = apply_ok(doc, {edit({0, 0}, {0, 3}, "zzz"), TextEdit{std::nullopt, "ab"},
                     edit({0, 1}, {0, 1}, "-")},
               2);
  CHECK(doc.text() == "a-b");
  CHECK(same(e[1], ByteEdit{0, 11, 2, {0, 0}, {1, 7}, {0, 2}}));
  e = apply_ok(doc, {TextEdit{std::nullopt, ""}}, 3);
  CHECK(doc.text().empty());
  CHECK(doc.line_index() == LineIndex(""));
}

TEST_CASE("document: invalid edits are rejected and the document is left intact") {
  const std::string original = "a\xF0\x9F\x98\x80" "b\r\nc\xC3\xA9\rd";  // a😀b | cé | d
  Document doc("file:///x", "c", 7, original);
  struct Case {
    std::vector<TextEdit> edits;
    PositionEncoding encoding;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{edit({3, 0}, {3, 0}, "x")}, kUtf16, "edit 0 (0-based) of 1: range start"},
      {{edit({0, 0}, {3, 0}, "x")}, kUtf16, "line 3 is past the end"},
      {{edit({0, 2}, {0, 3}, "x")}, kUtf16, "surrogate pair"},
      {{edit({1, 0}, {1, 2}, "x")}, kUtf8, "inside a 2-byte"},
      {{edit({0, 3}, {0, 1}, "x")}, kUtf16, "is before its start"},
      {{edit({1, 0}, {0, 9}, "x")}, kUtf16, "is before its start"},
      {{edit({0, -1}, {0, 1}, "x")}, kUtf16, "0 or more"},
      // Valid edits first, then a bad one: all of them are rolled back.
      {{edit({0, 0}, {0, 0}, "\r\n\r"), TextEdit{std::nullopt, "short"},
        edit({0, 0}, {0, 1}, "\n"), edit({2, 0}, {2, 0}, "x")},
       kUtf16, "edit 3 (0-based) of 4: range start"},
      {{edit({2, 0}, {2, 1}, "\xF0\x9F\x98\x80\n"), edit({2, 1}, {2, 1}, "x")},
       kUtf16, "edit 1 (0-based) of 2: range start: position (line 2, character 1)"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    auto r = doc.apply(cases[i].edits, 8, cases[i].encoding);
    REQUIRE_FALSE(r.is_ok());
    CHECK_MESSAGE(contains(r.message(), cases[i].expect), r.message());
    CHECK(contains(r.message(), "file:///x"));
    CHECK(doc.text() == original);
    CHECK(doc.version() == 7);
    CHECK(doc.line_index() == LineIndex(original));
  }
  // The same edits are fine once valid.
  apply_ok(doc, {edit({0, 0}, {0, 0}, "\r\n\r"), edit({2, 0}, {2, 0}, "x")}, 8);
  CHECK(doc.text() == "\r\n\rxa\xF0\x9F\x98\x80" "b\r\nc\xC3\xA9\rd");
}

TEST_CASE("document: stale versions are rejected") {
  Document doc("u", "c", 5, "text");
  for (int64_t v : {5, 4, -1}) {
    auto r = doc.apply(std::vector<TextEdit>{edit({0, 0}, {0, 0}, "x")}, v, kUtf16);
    REQUIRE_FALSE(r.is_ok());
    CHECK(contains(r.message(), "is not newer than the current version 5"));
    CHECK(doc.text() == "text");
    CHECK(doc.version() == 5);
  }
  CHECK_FALSE(doc.apply({}, 5, kUtf16).is_ok());
  apply_ok(doc, {edit({0, 4}, {0, 4}, "!")}, 9);  // versions may jump
  CHECK(doc.version() == 9);
  CHECK(doc.text() == "text!");
}

namespace {

// The reference reads UTF-8 on its own (decode, then reject overlongs, surrogates and values
// above U+10FFFF): the length of the character at s[i], 1 for an invalid byte.
size_t naive_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) -> unsigned { return static_cast<unsigned char>(s[i + k]); };
  const unsigned c = byte(0);
  const size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (n == 1 || i + n > s.size()) return 1;
  uint32_t cp = c & (0x7Fu >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 1;
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
  return n;
}

bool crlf_at(const std::string& s, size_t i) {
  return s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n';
}

// Offsets an LSP position can name: character starts and the end, never inside "\r\n".
std::vector<size_t> naive_boundaries(const std::string& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); i += crlf_at(s, i) ? 2 : naive_length(s, i)) out.push_back(i);
  out.push_back(s.size());
  return out;
}

Position naive_position(const std::string& s, size_t to, PositionEncoding e) {
  Position p;
  for (size_t i = 0; i < to;) {
    const bool eol = s[i] == '\n' || s[i] == '\r';
    const size_t n = eol ? (crlf_at(s, i) ? 2 : 1) : naive_length(s, i);
    const int64_t units = e == kUtf8    ? static_cast<int64_t>(n)
                          : e == kUtf16 ? (n == 4 ? 2 : 1) : 1;
    p = eol ? Position{p.line + 1, 0} : Position{p.line, p.character + units};
    i += n;
  }
  return p;
}

BytePoint naive_point(const std::string& s, size_t at) {
  uint32_t row = 0, column = 0;
  for (size_t i = 0; i < at; ++i) column = s[i] == '\n' ? (++row, 0) : column + 1;
  return BytePoint{row, column};
}

struct Random {
  std::mt19937_64 gen;
  size_t below(size_t n) { return static_cast<size_t>(gen() % n); }  // same on every platform
  bool chance(size_t percent) { return below(100) < percent; }
};

const char* const kPieces[] = {
    "a", "Z", " ", "(", "\xC3\xA9", "\xC3\x9F", "\xE2\x82\xAC", "\xE4\xB8\xAD",
    "\xF0\x9F\x98\x80", "\xF0\x9D\x84\x9E", "\n", "\r\n", "\r", "\r\n\r", "int x = 0;",
    "print('h\xC3\xA9llo')", "// \xE3\x82\xB3\xE3\x83\xA1\xE3\x83\xB3\xE3\x83\x88",
    "\xFF", "\xE2\x82"};  // the last two are invalid UTF-8 and may join neighbours

// A valid random edit of `text` (described by `index`); applies it to `text` and records the
// ByteEdit the document must report.
TextEdit valid_edit(Random& rnd, std::string& text, const LineIndex& index, PositionEncoding e,
                    std::vector<ByteEdit>& expected) {
  const bool whole = rnd.chance(1);  // a full replacement, long enough to keep going
  std::string insert;
  for (size_t n = whole ? 20 + rnd.below(200) : rnd.below(4); n > 0; --n)
    insert += kPieces[rnd.below(std::size(kPieces))];
  TextEdit edit{std::nullopt, insert};
  size_t a = 0, b = text.size();
  if (!whole) {
    const std::vector<size_t> bounds = naive_boundaries(text);
    const size_t i = rnd.below(bounds.size());
    const size_t span = text.size() > 4000 ? rnd.below(300) : rnd.below(rnd.chance(10) ? 40 : 4);
    a = bounds[i];
    b = bounds[std::min(bounds.size() - 1, i + span)];
    Position end = index.position_of(b, e);
    // Past the end of the line: must clamp to the same byte.
    if (rnd.chance(10) && b == index.line_end(end.line))
      end.character += 1 + static_cast<int64_t>(rnd.below(5));
    edit.range = Range{index.position_of(a, e), end};
  }
  const BytePoint start_point = naive_point(text, a), old_end_point = naive_point(text, b);
  text.replace(a, b - a, insert);
  expected.push_back(ByteEdit{static_cast<uint32_t>(a), static_cast<uint32_t>(b),
                              static_cast<uint32_t>(a + insert.size()), start_point,
                              old_end_point, naive_point(text, a + insert.size())});
  return edit;
}

// An edit of `text` that must be rejected.
TextEdit invalid_edit(Random& rnd, const std::string& text, PositionEncoding e) {
  const LineIndex index(text);
  const std::vector<size_t> bounds = naive_boundaries(text);
  const auto pos = [&](size_t offset) { return index.position_of(offset, e); };
  std::vector<size_t> multi;  // characters of several units in `e`
  for (size_t i : bounds)
    if (i < text.size() && !crlf_at(text, i) &&
        naive_length(text, i) >= (e == kUtf16 ? 4u : 2u))
      multi.push_back(i);
  const size_t kind = rnd.below(4);
  if (kind == 1) return TextEdit{Range{{0, -1 - static_cast<int64_t>(rnd.below(3))}, {}}, "x"};
  if (kind == 2 && bounds.size() >= 2) {  // end before start
    const size_t i = rnd.below(bounds.size() - 1);
    const size_t j = i + 1 + rnd.below(bounds.size() - 1 - i);
    return TextEdit{Range{pos(bounds[j]), pos(bounds[i])}, ""};
  }
  if (kind == 3 && e != kUtf32 && !multi.empty()) {  // inside a character
    const size_t at = multi[rnd.below(multi.size())];
    const size_t inside = e == kUtf16 ? 1 : 1 + rnd.below(naive_length(text, at) - 1);
    const Position p{pos(at).line, pos(at).character + static_cast<int64_t>(inside)};
    return TextEdit{Range{p, p}, "y"};
  }
  const Position past{index.line_count() + static_cast<int64_t>(rnd.below(3)), 0};
  return TextEdit{rnd.chance(50) ? Range{{}, past} : Range{past, past}, "z"};
}

}  // namespace

TEST_CASE("document: randomized edits agree with a naive reference") {
  Random rnd{std::mt19937_64(20240611)};
  std::string reference =
      "#include <cstdio>\r\nint main() {\n"
      "  printf(\"h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC\");\r"
      "  // \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80\n}\r\n"
      "def f(x):\n    return '\xCE\xA9\xE2\x89\x88' + \"\xF0\x9F\x8E\x89\xF0\x9F\x9A\x80\"\r\n"
      "fn main() { let s = \"\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\"; }";
  Document doc("file:///random", "mixed", 0, reference);
  size_t applied = 0, rejected = 0, largest = 0, total_size = 0;
  for (int step = 0; step < 5000; ++step) {
    const PositionEncoding e = kEncodings[rnd.below(3)];
    const size_t count = rnd.chance(80) ? 1 : 2 + rnd.below(2);
    const bool invalid = rnd.chance(20);
    const size_t invalid_at = invalid ? rnd.below(count + 1) : count + 1;
    const bool stale = !invalid && rnd.chance(3);
    std::vector<TextEdit> edits;
    std::vector<ByteEdit> expected;
    std::string scratch = reference;
    for (size_t k = 0; k < count && k != invalid_at; ++k) {  // each on the previous result
      const LineIndex index = k == 0 ? doc.line_index() : LineIndex(scratch);
      edits.push_back(valid_edit(rnd, scratch, index, e, expected));
    }
    if (invalid) edits.push_back(invalid_edit(rnd, scratch, e));
    const int64_t old_version = doc.version();
    const int64_t version = stale ? old_version - static_cast<int64_t>(rnd.below(2))
                                  : old_version + 1 + static_cast<int64_t>(rnd.below(3));
    auto result = doc.apply(edits, version, e);
    if (invalid || stale) {
      REQUIRE_FALSE(result.is_ok());
      if (invalid) CHECK(contains(result.message(), "edit " + std::to_string(invalid_at)));
      REQUIRE(doc.text() == reference);
      CHECK(doc.version() == old_version);
      CHECK(doc.line_index() == LineIndex(reference));
      ++rejected;
    } else {
      REQUIRE_MESSAGE(result.is_ok(), result.message());
      REQUIRE(result->size() == expected.size());
      for (size_t k = 0; k < expected.size(); ++k) CHECK(same((*result)[k], expected[k]));
      reference = scratch;
      REQUIRE(doc.text() == reference);
      CHECK(doc.version() == version);
      ++applied;
    }
    // Round trips at random boundaries, and positions and points against the reference.
    const LineIndex& index = doc.line_index();
    const std::vector<size_t> bounds = naive_boundaries(reference);
    for (int t = 0; t < 4; ++t) {
      const size_t x = bounds[rnd.below(bounds.size())];
      const PositionEncoding pe = kEncodings[rnd.below(3)];
      const Position p = index.position_of(x, pe);
      CHECK(p == naive_position(reference, x, pe));
      const auto back = index.offset_of(p, pe);
      REQUIRE(back.is_ok());
      CHECK(*back == x);
      CHECK(index.point_of(x) == naive_point(reference, x));
    }
    CHECK(index.line_count() == naive_position(reference, reference.size(), e).line + 1);
    if (step % 250 == 0) CHECK(index == LineIndex(reference));
    largest = std::max(largest, reference.size());
    total_size += reference.size();
  }
  CHECK(applied > 3500);
  CHECK(rejected > 900);
  MESSAGE("randomized: ", applied, " calls applied, ", rejected, " rejected; text ",
          total_size / 5000, " bytes on average, ", largest, " at most");
}

TEST_CASE("document: 1000 small edits on a 1 MB document keep the text and the line index") {
  std::string text;
  for (size_t i = 0; text.size() < (size_t{1} << 20); ++i)
    text += "    let v = f(\xC3\xA9t\xC3\xA9, \"\xF0\x9F\x98\x80\", x); // note" +
            std::string(i % 3 == 0 ? "\r\n" : "\n");
  Document doc("file:///big.rs", "rust", 0, text);
  std::string reference = text;
  std::mt19937_64 gen(7);
  const char* const inserts[] = {"x", "", "\xE2\x82\xAC", "a\nb", "\r\n"};
  for (int i = 0; i < 1000; ++i) {
    const LineIndex& index = doc.line_index();
    const size_t a = static_cast<size_t>(gen() % (reference.size() + 1));
    const size_t b = std::min(reference.size(), a + static_cast<size_t>(gen() % 6));
    const Range range{index.position_of(a, kUtf16), index.position_of(b, kUtf16)};
    const size_t start = *index.offset_of(range.start, kUtf16);  // snapped to characters
    const size_t end = *index.offset_of(range.end, kUtf16);
    const std::string insert = inserts[gen() % std::size(inserts)];
    auto r = doc.apply(std::vector<TextEdit>{TextEdit{range, insert}}, i + 1, kUtf16);
    REQUIRE(r.is_ok());
    reference.replace(start, end - start, insert);
  }
  CHECK(doc.version() == 1000);
  CHECK(doc.text() == reference);
  CHECK(doc.line_index() == LineIndex(reference));
}
