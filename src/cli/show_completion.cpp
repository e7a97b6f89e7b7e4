#include "cli/show_completion.h"

#include <algorithm>
#include <cstdio>

namespace infilld::cli {
namespace {

// Where the last `lines` whole lines of `s` begin (plus the unfinished one at its end).
size_t start_of_last_lines(std::string_view s, int lines) {
  size_t pos = s.size();
  for (int n = 0; n <= lines; ++n) {
    size_t nl = pos == 0 ? std::string_view::npos : s.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) return 0;
    pos = nl;
  }
  return pos + 1;
}

// The end of the first `lines` lines of `s` after its first line (which ends the cursor's line).
size_t end_of_first_lines(std::string_view s, int lines) {
  size_t pos = 0;
  for (int n = 0; n <= lines; ++n) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) return s.size();
    pos = nl + 1;
  }
  return pos - 1;
}

}  // namespace

std::string show_completion(const ShowInput& in) {
  const size_t from = start_of_last_lines(in.prefix, in.context_lines);
  const size_t to = end_of_first_lines(in.suffix, in.context_lines);
  const long first_line = 1 + std::count(in.prefix.begin(), in.prefix.begin() + static_cast<long>(from), '\n');
  const char* open = in.color ? "\x1b[32m" : "\xe2\x9f\xa6";   // green, or ⟦
  const char* close = in.color ? "\x1b[0m" : "\xe2\x9f\xa7";   // reset, or ⟧

  std::string out;
  long line = first_line;
  auto gutter = [&] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%5ld | ", line++);
    out += buf;
  };
  // Copies text, numbering each line; inside the middle the colour is closed before a line
  // break and reopened after the gutter, so the numbers stay plain.
  auto emit = [&](std::string_view text, bool inserted) {
    for (char c : text) {
      if (c == '\n') {
        if (inserted && in.color) out += close;
        out += '\n';
        gutter();
        if (inserted && in.color) out += open;
      } else {
        out += c;
      }
    }
  };
  gutter();
  emit(in.prefix.substr(from), false);
  out += open;
  emit(in.middle, true);
  out += close;
  std::string_view after = in.suffix.substr(0, to);
  if (!after.empty() && after.back() == '\n') after.remove_suffix(1);  // the file's last newline
  emit(after, false);
  out += '\n';
  return out;
}

}  // namespace infilld::cli
