// The unit tests' main: doctest's, plus run-time skips (tests/skip.h). A test case that
// called skip() and did not fail is reported as `skipped NAME: why`; a run in which every
// test case that ran skipped exits 77 (ctest: "Skipped"), so a skip never reads as a pass.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "skip.h"

namespace {

struct SkipLog {
  std::string test_case;             // the running test case
  std::vector<std::string> reasons;  // its skip() calls
  int cases_run = 0, cases_skipped = 0;
};
SkipLog g_skips;

bool require_all() {
  const char* v = std::getenv("INFILLD_REQUIRE_ALL");
  return v != nullptr && std::string(v) == "1";
}

// Tracks each test case's skips and reports them when it ends (a listener: doctest's own
// reporter still prints everything else).
struct SkipListener : doctest::IReporter {
  explicit SkipListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& data) override {
    g_skips.test_case = data.m_name;
    g_skips.reasons.clear();
    ++g_skips.cases_run;
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    if (g_skips.reasons.empty() || !stats.testCaseSuccess) return;
    ++g_skips.cases_skipped;
    for (const std::string& why : g_skips.reasons)
      std::printf("skipped %s: %s\n", g_skips.test_case.c_str(), why.c_str());
    std::fflush(stdout);
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("infilld-skips", 1, SkipListener);

namespace infilld::test {

void skip(const std::string& why, std::source_location where) {
  if (require_all()) {
    ADD_FAIL_CHECK_AT(where.file_name(), static_cast<int>(where.line()),
                      "not run, and INFILLD_REQUIRE_ALL=1 makes that a failure: " << why);
    return;
  }
  g_skips.reasons.push_back(why);
}

}  // namespace infilld::test

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit()) return status;
  if (g_skips.cases_skipped > 0) {
    std::printf("%d of %d test cases skipped%s\n", g_skips.cases_skipped, g_skips.cases_run,
                g_skips.cases_skipped == g_skips.cases_run ? ": exit status 77" : "");
    if (status == 0 && g_skips.cases_skipped == g_skips.cases_run) return 77;
  }
  return status;
}
