// The process's resident memory, for `info` and `bench forward` (what a user's task
// manager shows: mapped weight pages that were read count, released ones do not).
#pragma once

#include <unistd.h>

#include <fstream>

namespace infilld::cli {

// Bytes resident now (/proc/self/statm), 0 where that cannot be read.
inline double process_resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * double(::sysconf(_SC_PAGESIZE));
}

}  // namespace infilld::cli
