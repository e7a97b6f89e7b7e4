#include <doctest/doctest.h>

#include <string>

#include "lsp/completion_cache.h"

using infilld::lsp::CompletionCache;

TEST_CASE("completion cache: an exact hit returns the suggestion, a different context misses") {
  CompletionCache cache;
  cache.insert("int main() {\n  ret", "\n}\n", "urn 0;");
  auto hit = cache.lookup("int main() {\n  ret", "\n}\n");
  REQUIRE(hit);
  CHECK(hit->suggestion == "urn 0;");
  CHECK(hit->typed == 0);
  CHECK_FALSE(cache.lookup("int main() {\n  ret", "\n}\n// more\n"));  // suffix differs
  CHECK_FALSE(cache.lookup("int main() {\n  re", "\n}\n"));            // a character fewer
}

TEST_CASE("completion cache: typing through a suggestion returns the rest of it") {
  CompletionCache cache;
  cache.insert("x = ", "\n", "compute(a, b)");
  auto one = cache.lookup("x = c", "\n");
  REQUIRE(one);
  CHECK(one->suggestion == "ompute(a, b)");
  CHECK(one->typed == 1);
  auto many = cache.lookup("x = compute(a, ", "\n");
  REQUIRE(many);
  CHECK(many->suggestion == "b)");
  CHECK(many->typed == 11);
  CHECK_FALSE(cache.lookup("x = compute(a, b)", "\n"));  // typed all of it: nothing left
  CHECK_FALSE(cache.lookup("x = cz", "\n"));             // typed something else
}

TEST_CASE("completion cache: typed-through reuse walks back at most 128 characters") {
  CompletionCache cache;
  const std::string suggestion(200, 'a');
  cache.insert("p", "", suggestion);
  auto near = cache.lookup("p" + std::string(128, 'a'), "");
  REQUIRE(near);
  CHECK(near->suggestion.size() == 72);
  CHECK_FALSE(cache.lookup("p" + std::string(129, 'a'), ""));
}

TEST_CASE("completion cache: least recently used entries go first; capacity 0 turns it off") {
  CompletionCache cache(2);
  cache.insert("a", "", "1");
  cache.insert("b", "", "2");
  CHECK(cache.lookup("a", ""));  // a is now the most recently used
  cache.insert("c", "", "3");    // evicts b
  CHECK(cache.size() == 2);
  CHECK(cache.lookup("a", ""));
  CHECK_FALSE(cache.lookup("b", ""));
  CHECK(cache.lookup("c", ""));
  cache.insert("a", "", "updated");
  CHECK(cache.lookup("a", "")->suggestion == "updated");
  CHECK(cache.size() == 2);
  cache.set_capacity(0);
  CHECK(cache.size() == 0);
  cache.insert("d", "", "4");
  CHECK_FALSE(cache.lookup("d", ""));
}

TEST_CASE("completion cache: keys are windows, compared in full") {
  CompletionCache cache;
  // Contexts differing only before the last 4096 bytes share a key (the model's windows
  // see the same text); those differing inside the window do not.
  const std::string far_a = std::string(5000, 'x') + std::string(CompletionCache::kPrefixKey, 'k');
  const std::string far_b = std::string(5000, 'y') + std::string(CompletionCache::kPrefixKey, 'k');
  cache.insert(far_a, "s", "hit");
  CHECK(cache.lookup(far_b, "s"));
  std::string near_b = far_a;
  near_b[near_b.size() - 10] = 'z';
  CHECK_FALSE(cache.lookup(near_b, "s"));
  // A cached empty answer is an exact hit with nothing to show, never typed through.
  cache.insert("q", "", "");
  REQUIRE(cache.lookup("q", ""));
  CHECK(cache.lookup("q", "")->suggestion.empty());
  CHECK_FALSE(cache.lookup("qa", ""));
}
