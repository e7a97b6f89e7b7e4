// A small parser for subcommand flags: "--name value", "--name=value", boolean "--name",
// and positional arguments. Unknown flags are errors a user can act on.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <cstdint>
#include <vector>

#include "cli/commands.h"
#include "common/status.h"

namespace infilld::cli {

struct FlagSpec {
  std::set<std::string, std::less<>> with_value;  // e.g. "model", "tokens"
  std::set<std::string, std::less<>> boolean;     // e.g. "verbose"
};

class Flags {
 public:
  static Expected<Flags> parse(Args args, const FlagSpec& spec);

  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const;
  // Number flags, checked: the whole value must be an integer (a number) in [lo, hi]; the
  // error names the flag, what it expected and what it found. Absent: `fallback`.
  Expected<int64_t> integer(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const;
  Expected<double> number(std::string_view name, double fallback, double lo, double hi) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

// The one checked parser behind every number the command line takes: `what` names it in
// the error ("--budget", "the line of FILE:LINE:COL").
Expected<int64_t> parse_integer(std::string_view what, std::string_view text, int64_t lo, int64_t hi);
Expected<double> parse_number(std::string_view what, std::string_view text, double lo, double hi);

// Token ids separated by commas or spaces ("1,2,3" or "1 2 3"); `flag` names the option in
// errors. An empty list is allowed (an empty suffix); callers that need ids check.
Expected<std::vector<int32_t>> parse_token_ids(std::string_view flag, std::string_view text);

}  // namespace infilld::cli
