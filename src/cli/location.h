// FILE:LINE:COL on the command line: a file read whole and a cursor in it (1-based line
// and column, the column counted in characters), for `complete` and `context`.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace infilld::cli {

struct FileCursor {
  std::string path;
  std::string text;
  size_t cursor = 0;  // byte offset
};

Expected<FileCursor> read_file_cursor(std::string_view spec);

}  // namespace infilld::cli
