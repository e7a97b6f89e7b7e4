#include "cli/flags.h"

#include <charconv>
#include <cmath>
#include <limits>

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

Expected<int64_t> Flags::integer(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const {
  auto v = get(name);
  return v ? parse_integer("--" + std::string(name), *v, lo, hi) : Expected<int64_t>(fallback);
}

Expected<double> Flags::number(std::string_view name, double fallback, double lo, double hi) const {
  auto v = get(name);
  return v ? parse_number("--" + std::string(name), *v, lo, hi) : Expected<double>(fallback);
}

namespace {

// "from 1 to 100", ">= 0", "<= 5" or "" for the whole range of the type.
template <typename T>
std::string range_text(T lo, T hi) {
  const bool low = lo != std::numeric_limits<T>::lowest(), high = hi != std::numeric_limits<T>::max();
  auto str = [](T v) {
    std::string s = std::to_string(v);
    if constexpr (std::is_floating_point_v<T>) {  // 0.500000 -> 0.5
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (low && high) return " from " + str(lo) + " to " + str(hi);
  if (low) return " >= " + str(lo);
  if (high) return " <= " + str(hi);
  return "";
}

}  // namespace

Expected<int64_t> parse_integer(std::string_view what, std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi)
    return error(what, ": expected an integer", range_text(lo, hi), ", found \"", text, "\"");
  return v;
}

Expected<double> parse_number(std::string_view what, std::string_view text, double lo, double hi) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v) || v < lo || v > hi)
    return error(what, ": expected a number", range_text(lo, hi), ", found \"", text, "\"");
  return v;
}

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
