// `infilld complete --show`: the completion in its place, the way an editor would show it:
// a few lines of the file before and after the cursor, numbered, with the inserted text
// in colour (a terminal) or between ⟦ and ⟧ (anything else).
#pragma once

#include <string>
#include <string_view>

namespace infilld::cli {

struct ShowInput {
  std::string_view prefix, middle, suffix;  // the file is prefix + suffix; middle goes between
  int context_lines = 6;                    // lines shown before the cursor's line and after the middle's last
  bool color = false;                       // ANSI colour instead of the ⟦ ⟧ marks
};

std::string show_completion(const ShowInput& in);

}  // namespace infilld::cli
