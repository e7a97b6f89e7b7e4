#include "cli/flags.h"

#include <charconv>

namespace infilld::cli {

Expected<Flags> Flags::parse(Args args, const FlagSpec& spec) {
  Flags flags;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (only_positional || arg.size() < 3 || arg.substr(0, 2) != "--") {
      flags.positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.boolean.contains(name)) {
      if (inline_value) return error("flag --", name, " takes no value");
      flags.values_[std::string(name)] = "1";
    } else if (spec.with_value.contains(name)) {
      if (inline_value) {
        flags.values_[std::string(name)] = std::string(*inline_value);
      } else if (i + 1 < args.size()) {
        flags.values_[std::string(name)] = std::string(args[++i]);
      } else {
        return error("flag --", name, " needs a value");
      }
    } else {
      return error("unknown flag --", name, " (see 'infilld --help')");
    }
  }
  return flags;
}

std::optional<std::string> Flags::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool Flags::has(std::string_view name) const { return values_.find(name) != values_.end(); }

Expected<std::vector<int32_t>> parse_token_ids(std::string_view flag, std::string_view text) {
  std::vector<int32_t> ids;
  auto separator = [](char c) { return c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r'; };
  size_t pos = 0;
  while (pos < text.size()) {
    if (separator(text[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < text.size() && !separator(text[end])) ++end;
    const std::string_view word = text.substr(pos, end - pos);
    int32_t id = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec != std::errc() || ptr != word.data() + word.size() || id < 0)
      return error(flag, ": '", word, "' is not a token id; give ids as numbers separated by commas or spaces");
    ids.push_back(id);
    pos = end;
  }
  return ids;
}

}  // namespace infilld::cli
