// Skipping a unit test case at run time (doctest has no such thing): a case whose data is
// absent calls skip(why) and returns (or carries on without that part). When the case ends
// without a failure, tests/main.cpp prints `skipped NAME: why`, and a run in which every
// case that ran skipped exits 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE in
// tests/CMakeLists.txt; ctest runs each case on its own). With INFILLD_REQUIRE_ALL=1 (CI)
// a skip is a failure instead.
#pragma once

#include <source_location>
#include <string>

namespace infilld::test {

void skip(const std::string& why, std::source_location where = std::source_location::current());

}  // namespace infilld::test
