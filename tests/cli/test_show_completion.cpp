#include <doctest/doctest.h>

#include "cli/show_completion.h"

using infilld::cli::show_completion;

TEST_CASE("show_completion: numbered lines around the cursor, the middle between marks") {
  const std::string prefix = "a\nb\nc\nd\n    x = ";
  const std::string suffix = "\ne\nf\ng\n";
  const std::string out = show_completion({.prefix = prefix, .middle = "1 +\n    2", .suffix = suffix,
                                           .context_lines = 2, .color = false});
  CHECK(out ==
        "    3 | c\n"
        "    4 | d\n"
        "    5 |     x = \xe2\x9f\xa6" "1 +\n"
        "    6 |     2\xe2\x9f\xa7\n"
        "    7 | e\n"
        "    8 | f\n");
}

TEST_CASE("show_completion: colour closes before each line break so the numbers stay plain") {
  const std::string out =
      show_completion({.prefix = "x = ", .middle = "1\n2", .suffix = "", .context_lines = 3, .color = true});
  CHECK(out == "    1 | x = \x1b[32m1\x1b[0m\n    2 | \x1b[32m2\x1b[0m\n");
}

TEST_CASE("show_completion: a cursor at the start of the file and an empty middle") {
  const std::string out = show_completion({.prefix = "", .middle = "", .suffix = "int main();\n", .color = false});
  CHECK(out == "    1 | \xe2\x9f\xa6\xe2\x9f\xa7int main();\n");
}
