#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "lsp/framing.h"

using infilld::lsp::frame;
using infilld::lsp::FrameReader;

namespace {

// Every result next() yields right now; errors become "ERROR: <message>".
std::vector<std::string> drain(FrameReader& r) {
  std::vector<std::string> out;
  while (auto m = r.next()) out.push_back(*m ? m->value() : "ERROR: " + m->message());
  return out;
}

bool is_error(const std::string& s) { return s.rfind("ERROR: ", 0) == 0; }

}  // namespace

TEST_CASE("framing: one message split at every byte boundary") {
  const std::string body = R"({"jsonrpc":"2.0","method":"initialized","params":{}})";
  const std::string wire = frame(body);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameReader r;
    r.feed(std::string_view(wire).substr(0, cut));
    if (cut < wire.size()) CHECK(!r.next());
    r.feed(std::string_view(wire).substr(cut));
    const auto got = drain(r);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == body);
  }
  FrameReader bytewise;
  std::vector<std::string> got;
  for (char c : wire + wire) {
    bytewise.feed(std::string_view(&c, 1));
    for (auto& s : drain(bytewise)) got.push_back(s);
  }
  CHECK(got == std::vector<std::string>{body, body});
}

TEST_CASE("framing: several messages in one chunk, empty body") {
  FrameReader r;
  r.feed(frame("a") + frame("") + frame("{\"x\":1}"));
  CHECK(drain(r) == std::vector<std::string>{"a", "", "{\"x\":1}"});
  CHECK(r.buffered() == 0);
}

TEST_CASE("framing: CRLF, bare LF, extra headers, case-insensitive names") {
  FrameReader r;
  r.feed("Content-Length: 2\n\nab");
  r.feed("content-length:3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nxyz");
  r.feed("X-Other: 1\nCONTENT-LENGTH:  4 \t\n\n1234");
  r.feed("\r\nContent-Length: 1\r\n\r\nz");  // a stray blank line between messages
  CHECK(drain(r) == std::vector<std::string>{"ab", "xyz", "1234", "z"});
}

TEST_CASE("framing: missing or garbled Content-Length, then a good message") {
  const std::vector<std::string> bad = {
      "Content-Type: text\r\n\r\n{}",           // missing
      "Content-Length: abc\r\n\r\n{}",          // not numeric
      "Content-Length: -5\r\n\r\n{}",           // negative
      "Content-Length: 12x\r\n\r\n{}",          // trailing garbage
      "Content-Length:\r\n\r\n{}",              // empty
      "Content-Length: 99999999999999999999999\r\n\r\n",  // overflows 64 bits
      "garbage line\r\n\r\n{}",                 // no ':'
      "Content-Length: 2\r\nContent-Length: 3\r\n\r\nab",  // conflicting
  };
  for (const auto& b : bad) {
    CAPTURE(b);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{1000}}) {
      FrameReader r;
      const std::string wire = b + frame("good") + frame("more");
      std::vector<std::string> got;
      for (size_t i = 0; i < wire.size(); i += chunk) {
        r.feed(std::string_view(wire).substr(i, chunk));
        for (auto& s : drain(r)) got.push_back(s);
      }
      REQUIRE(got.size() == 3);
      CHECK(is_error(got[0]));
      CHECK(got[1] == "good");
      CHECK(got[2] == "more");
    }
  }
  FrameReader r;
  r.feed("Content-Length: abc\r\n\r\n");
  auto e = r.next();
  REQUIRE(e);
  REQUIRE(!*e);
  CHECK(e->message().find("Content-Length") != std::string::npos);
  CHECK(e->message().find("abc") != std::string::npos);
}

TEST_CASE("framing: a garbage line before a good header keeps that message") {
  FrameReader r;
  r.feed("junk\r\nContent-Length: 2\r\n\r\nok");
  const auto got = drain(r);
  REQUIRE(got.size() == 2);
  CHECK(is_error(got[0]));
  CHECK(got[1] == "ok");
}

TEST_CASE("framing: header block over 8 KiB without its blank line") {
  FrameReader r;
  const std::string filler(1000, 'x');
  for (int i = 0; i < 20; ++i) {
    r.feed(filler);
    CHECK(r.buffered() <= infilld::lsp::kMaxHeaderBlock + filler.size());
  }
  r.feed("\r\n" + frame("after"));
  const auto got = drain(r);
  REQUIRE(got.size() == 2);
  CHECK(is_error(got[0]));
  CHECK(got[0].find("8192") != std::string::npos);
  CHECK(got[1] == "after");

  FrameReader lines;  // many short header lines
  for (int i = 0; i < 1000; ++i) lines.feed("X-Header: 1234567890\r\n");
  lines.feed("\r\n" + frame("next"));
  const auto got2 = drain(lines);
  REQUIRE(got2.size() == 2);
  CHECK(is_error(got2[0]));
  CHECK(got2[1] == "next");
}

TEST_CASE("framing: a lying Content-Length of 10^12 is skipped without buffering") {
  const uint64_t huge = 1'000'000'000'000ULL;
  FrameReader r(1024);
  r.feed("Content-Length: " + std::to_string(huge) + "\r\n\r\n");
  auto e = r.next();
  REQUIRE(e);
  REQUIRE(!*e);
  CHECK(e->message().find("1000000000000") != std::string::npos);
  CHECK(e->message().find("1024") != std::string::npos);
  CHECK(r.skipping() == huge);

  // 300 MiB of the claimed body arrive in 1 MiB chunks: none of it is buffered.
  const std::string chunk(size_t{1} << 20, 'z');
  for (int i = 0; i < 300; ++i) {
    r.feed(chunk);
    CHECK(r.buffered() == 0);
    CHECK(!r.next());
  }
  CHECK(r.skipping() == huge - 300 * chunk.size());

  // A lie that does end: 5 MiB against a 1 KiB cap, then good messages in the same chunk.
  const uint64_t lie = 5 * (uint64_t{1} << 20) + 7;
  FrameReader s(1024);
  std::string wire = "Content-Length: " + std::to_string(lie) + "\r\n\r\n";
  std::string body(lie, 'q');
  wire += body.substr(0, 100);  // part of the skipped body arrives with the header
  s.feed(wire);
  CHECK(s.buffered() == 0);
  size_t fed = 100;
  size_t max_buffered = 0;
  while (fed + 65536 < lie) {
    s.feed(std::string_view(body).substr(fed, 65536));
    fed += 65536;
    max_buffered = std::max(max_buffered, s.buffered());
  }
  s.feed(body.substr(fed) + frame("after") + frame(std::string(1024, 'c')));
  CHECK(max_buffered == 0);
  const auto got = drain(s);
  REQUIRE(got.size() == 3);
  CHECK(is_error(got[0]));
  CHECK(got[1] == "after");
  CHECK(got[2] == std::string(1024, 'c'));  // exactly at the cap is accepted
  CHECK(s.skipping() == 0);
}

TEST_CASE("framing: UTF-8 bodies, Content-Length counts bytes") {
  const std::string body = "{\"text\":\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"}";
  const std::string wire = frame(body);
  CHECK(wire.rfind("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n", 0) == 0);
  FrameReader r;
  for (size_t i = 0; i < wire.size(); i += 2) r.feed(std::string_view(wire).substr(i, 2));
  CHECK(drain(r) == std::vector<std::string>{body});
}

TEST_CASE("framing: frame() round trip") {
  CHECK(frame("") == "Content-Length: 0\r\n\r\n");
  CHECK(frame("{}") == "Content-Length: 2\r\n\r\n{}");
  FrameReader r;
  const std::string with_nul("a\0b\r\n\r\nc", 8);
  r.feed(frame(with_nul));
  CHECK(drain(r) == std::vector<std::string>{with_nul});
}

TEST_CASE("framing: 2000 random messages in random chunks") {
  std::mt19937_64 rng(12345);
  std::vector<std::string> bodies;
  std::string wire;
  for (int i = 0; i < 2000; ++i) {
    const size_t len = rng() % 8 == 0 ? rng() % 5000 : rng() % 100;
    std::string b(len, '\0');
    for (char& c : b) c = static_cast<char>(rng() % 256);  // any bytes, incl. CR/LF/NUL
    wire += frame(b);
    bodies.push_back(std::move(b));
  }
  for (int round = 0; round < 3; ++round) {
    FrameReader r(1 << 16);
    std::vector<std::string> got;
    size_t i = 0;
    while (i < wire.size()) {
      const size_t max = round == 0 ? 4 : round == 1 ? 200 : 20000;
      const size_t n = 1 + rng() % max;
      r.feed(std::string_view(wire).substr(i, n));
      i += n;
      if (rng() % 3 != 0)
        while (auto m = r.next()) {
          REQUIRE(*m);
          got.push_back(std::move(*m).value());
        }
    }
    while (auto m = r.next()) {
      REQUIRE(*m);
      got.push_back(std::move(*m).value());
    }
    CHECK(got.size() == bodies.size());
    CHECK(got == bodies);
    CHECK(r.buffered() == 0);
  }
}
