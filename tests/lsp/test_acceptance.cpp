#include <doctest/doctest.h>

#include <string>

#include "lsp/acceptance.h"

using infilld::lsp::AcceptanceTracker;
using Accept = AcceptanceTracker::Accept;

TEST_CASE("acceptance: the accept command counts an item once, and only an item given recently") {
  AcceptanceTracker t;
  t.given("c1", "file:///a.cpp", "int x = 1;");
  CHECK(t.accept("c1") == Accept::Counted);
  CHECK(t.accept("c1") == Accept::Already);
  CHECK(t.accept("c2") == Accept::Unknown);
  CHECK(t.accept("") == Accept::Unknown);
}

TEST_CASE("acceptance: a change that inserts the last shown item is an acceptance, counted once") {
  AcceptanceTracker t;
  t.given("c1", "file:///a.cpp", "int x = 1;");
  CHECK_FALSE(t.document_changed("file:///a.cpp", "int x = "));    // still typing
  CHECK_FALSE(t.document_changed("file:///b.cpp", "int x = 1;"));  // another document
  CHECK(t.document_changed("file:///a.cpp", "int x = 1;"));
  CHECK_FALSE(t.document_changed("file:///a.cpp", "int x = 1;"));  // inferred once
  CHECK(t.accept("c1") == Accept::Already);                       // however it was reported
}

TEST_CASE("acceptance: only the document's last shown item is inferred; the command counted first wins") {
  AcceptanceTracker t;
  t.given("c1", "file:///a.cpp", "old");
  t.given("c2", "file:///a.cpp", "new");
  CHECK_FALSE(t.document_changed("file:///a.cpp", "old"));  // replaced by c2
  CHECK(t.accept("c1") == Accept::Counted);                 // its command still counts
  CHECK(t.accept("c2") == Accept::Counted);
  CHECK_FALSE(t.document_changed("file:///a.cpp", "new"));  // counted by the command already
}

TEST_CASE("acceptance: a closed document forgets its shown item, not the item") {
  AcceptanceTracker t;
  t.given("c1", "file:///a.cpp", "text");
  t.document_closed("file:///a.cpp");
  t.document_closed("file:///never-opened.cpp");
  CHECK_FALSE(t.document_changed("file:///a.cpp", "text"));
  CHECK(t.accept("c1") == Accept::Counted);
}

TEST_CASE("acceptance: only the last kRecentItems items are remembered") {
  AcceptanceTracker t;
  const size_t n = AcceptanceTracker::kRecentItems + 1;
  for (size_t i = 0; i < n; ++i) t.given("c" + std::to_string(i), "file:///a.cpp", std::to_string(i));
  CHECK(t.recent() == AcceptanceTracker::kRecentItems);
  CHECK(t.accept("c0") == Accept::Unknown);  // the oldest is forgotten
  CHECK(t.accept("c1") == Accept::Counted);
  CHECK(t.accept("c" + std::to_string(n - 1)) == Accept::Counted);
  // The shown item outlives nothing it should not: the last one is still inferred (once;
  // the command above counted it).
  CHECK_FALSE(t.document_changed("file:///a.cpp", std::to_string(n - 1)));
}
