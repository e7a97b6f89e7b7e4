// How deep a JSON text nests, counted before it is parsed: the JSON library's parse is
// iterative but its copies, dumps and destruction recurse, so a few MB of "[[[[" from a
// client (infilld serve) or a remote engine (RemoteStream) would exhaust a thread's stack.
#pragma once

#include <string_view>

namespace infilld {

// Whether `text` opens more than `max_depth` arrays or objects inside one another (brackets
// inside strings not counted).
inline bool json_nests_deeper_than(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace infilld
