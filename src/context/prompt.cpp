#include "context/prompt.h"

#include <algorithm>
#include <set>

namespace infilld::context {

namespace {

// [start, end) byte ranges of the lines of `text` ('\n' ends a line, and stays with it).
std::vector<std::pair<size_t, size_t>> line_ranges(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.emplace_back(start, end);
    start = end;
  }
  return lines;
}

bool is_import(std::string_view type) {
  return type.find("import") != std::string_view::npos || type == "use_declaration" || type == "preproc_include" ||
         type == "package_clause" || type == "package_declaration" || type == "extern_crate_declaration";
}

bool is_definition(std::string_view type) {
  for (std::string_view word : {"function", "method", "class", "impl_item", "trait_item", "struct", "interface",
                                "namespace_definition", "enum_declaration", "mod_item"})
    if (type.find(word) != std::string_view::npos) return true;
  return false;
}

// Start rows of the lines worth keeping before a cut window: top-level imports, and the
// first line of each definition enclosing the cursor.
std::set<uint32_t> lines_to_keep(const SyntaxTree& tree, std::string_view text, size_t cursor) {
  std::set<uint32_t> rows;
  const TSNode root = tree.root();
  for (uint32_t i = 0; i < ts_node_named_child_count(root); ++i) {
    const TSNode child = ts_node_named_child(root, i);
    if (is_import(ts_node_type(child)))
      for (uint32_t r = ts_node_start_point(child).row; r <= ts_node_end_point(child).row; ++r) rows.insert(r);
  }
  // The code the cursor follows: the last non-blank byte before it (whitespace belongs to no
  // node, and an indented empty line after a body still continues that body).
  size_t last = cursor;
  while (last > 0 && (text[last - 1] == ' ' || text[last - 1] == '\t' || text[last - 1] == '\n' ||
                      text[last - 1] == '\r'))
    --last;
  TSNode at = tree.node_at(static_cast<uint32_t>(last > 0 ? last - 1 : 0));
  for (TSNode n : ancestors(at))
    if (is_definition(ts_node_type(n))) rows.insert(ts_node_start_point(n).row);
  if (is_definition(ts_node_type(at))) rows.insert(ts_node_start_point(at).row);
  return rows;
}

}  // namespace

Prompt build_prompt(std::string_view text, size_t cursor, const SyntaxTree* tree, const TokenCounter& count,
                    const PromptOptions& o) {
  cursor = std::min(cursor, text.size());
  const auto lines = line_ranges(text);
  // The line holding the cursor (the last line when the cursor is at the very end).
  size_t cursor_line = static_cast<size_t>(
      std::upper_bound(lines.begin(), lines.end(), cursor, [](size_t c, const auto& l) { return c < l.second; }) -
      lines.begin());
  if (cursor_line >= lines.size() && !lines.empty()) cursor_line = lines.size() - 1;
  if (!lines.empty() && cursor == text.size() && text.back() == '\n') cursor_line = lines.size();

  Prompt p;
  // The cursor's own line: its two halves always go in.
  const size_t line_start = cursor_line < lines.size() ? lines[cursor_line].first : text.size();
  const size_t line_end = cursor_line < lines.size() ? lines[cursor_line].second : text.size();
  std::string_view head = text.substr(line_start, cursor - line_start);
  std::string_view tail = text.substr(cursor, line_end - cursor);
  int64_t prefix_used = count(head), suffix_used = count(tail);

  // A line's tokens, counted when first asked: only the lines near the cursor ever are, so
  // the cost per request follows the budget, not the file.
  std::vector<int64_t> counted(lines.size(), -1);
  auto cost = [&](size_t i) {
    if (counted[i] < 0) counted[i] = count(text.substr(lines[i].first, lines[i].second - lines[i].first));
    return counted[i];
  };
  // What each side would take, counted outwards from the cursor until it passes the budget
  // (beyond that only "more than the budget" matters below).
  const int64_t cap = std::max<int64_t>(o.budget, 0) + 1;
  int64_t prefix_want = 0, suffix_want = 0;
  for (size_t i = std::min(cursor_line, lines.size()); i > 0 && prefix_want < cap; --i) prefix_want += cost(i - 1);
  for (size_t i = cursor_line + 1; i < lines.size() && suffix_want < cap; ++i) suffix_want += cost(i);

  // The suffix gets its share of what is left (more when the prefix needs less than its
  // share, less when the suffix itself is shorter); the prefix gets the rest.
  const int64_t rest = std::max<int64_t>(0, o.budget - prefix_used - suffix_used);
  const int64_t suffix_share = rest - static_cast<int64_t>(static_cast<double>(rest) * o.prefix_share);
  const int64_t suffix_budget = std::min(suffix_want, std::max(suffix_share, rest - prefix_want));
  int64_t prefix_budget = rest - suffix_budget;

  // When the prefix will be cut, budget for the kept lines first (at most half the
  // prefix budget), then fill the window with what remains.
  std::vector<uint32_t> keep;
  if (prefix_want > prefix_budget && tree != nullptr) {
    int64_t reserve = prefix_budget / 2;
    for (uint32_t row : lines_to_keep(*tree, text, cursor)) {
      if (row >= cursor_line || row >= lines.size() || cost(row) > reserve) continue;
      reserve -= cost(row);
      prefix_budget -= cost(row);
      keep.push_back(row);
    }
  }
  size_t first = cursor_line;  // the prefix window: lines [first, cursor_line)
  while (first > 0 && cost(first - 1) <= prefix_budget) prefix_budget -= cost(--first);
  size_t last = cursor_line + 1;  // the suffix window: lines [cursor_line + 1, last)
  int64_t suffix_left = suffix_budget + prefix_budget;  // what the prefix did not use
  while (last < lines.size() && cost(last) <= suffix_left) suffix_left -= cost(last++);
  p.prefix_cut = first > 0;
  p.suffix_cut = last < lines.size();

  std::string kept;  // kept lines that the window does not already hold
  for (uint32_t row : keep) {
    if (row >= first) continue;
    const std::string_view line = text.substr(lines[row].first, lines[row].second - lines[row].first);
    p.kept.emplace_back(line);
    kept += line;
    prefix_used += cost(row);
  }
  const size_t window_start = first < lines.size() ? lines[first].first : line_start;
  p.prefix = kept + std::string(text.substr(window_start, cursor - window_start));
  const size_t window_end = last - 1 < lines.size() && last > cursor_line + 1 ? lines[last - 1].second : line_end;
  p.suffix = std::string(text.substr(cursor, window_end - cursor));
  for (size_t i = first; i < cursor_line && i < lines.size(); ++i) prefix_used += cost(i);
  for (size_t i = cursor_line + 1; i < last; ++i) suffix_used += cost(i);
  p.prefix_tokens = prefix_used;
  p.suffix_tokens = suffix_used;
  p.prefix_first_line = static_cast<int64_t>(first);
  p.suffix_last_line = static_cast<int64_t>(last == 0 ? 0 : last - 1);
  return p;
}

void add_snippets(Prompt& prompt, const SnippetRing& ring, std::string_view path, const Language& language,
                  const TokenCounter& count, int64_t budget, size_t max_snippets, std::span<const std::string> already) {
  // The query: the last lines before the cursor, the code the completion continues.
  std::string_view before = prompt.prefix;
  size_t from = before.size();
  for (int lines = 0; from > 0 && lines < 15; --from)
    if (before[from - 1] == '\n') ++lines;
  std::string rendered;
  for (const Snippet& s : ring.best(before.substr(from), path, max_snippets)) {
    if (std::any_of(already.begin(), already.end(), [&](const std::string& a) { return s.text.find(a) != std::string::npos; }))
      continue;
    const std::string one = render_snippets(std::span<const Snippet>(&s, 1), language);
    const int64_t cost = count(one);
    if (one.empty() || prompt.snippet_tokens + cost > budget) continue;
    prompt.snippet_tokens += cost;
    prompt.snippets.push_back(s);
    rendered += one;
  }
  prompt.prefix = rendered + prompt.prefix;
  prompt.prefix_tokens += prompt.snippet_tokens;
}

}  // namespace infilld::context
