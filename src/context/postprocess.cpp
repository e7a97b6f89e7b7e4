#include "context/postprocess.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <vector>

#include "context/syntax_tree.h"
#include "context/text_util.h"

namespace infilld::context {

namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (;;) {
    const size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(start));
      return lines;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

bool blank(std::string_view s) { return std::all_of(s.begin(), s.end(), is_line_space); }

// Indentation width, a tab counting as `tab_width` columns.
int indent_of(std::string_view line, int tab_width = 4) {
  int w = 0;
  for (char c : line) {
    if (c == ' ') ++w;
    else if (c == '\t') w += tab_width;
    else break;
  }
  return w;
}

// The file's indentation: tabs when more indented lines start with a tab than with spaces.
bool file_uses_tabs(std::string_view prefix, std::string_view suffix) {
  int tabs = 0, spaces = 0;
  for (std::string_view part : {prefix, suffix})
    for (std::string_view line : split_lines(part)) {
      if (line.starts_with('\t')) ++tabs;
      else if (line.starts_with("  ")) ++spaces;
    }
  return tabs > spaces;
}

// The indentation the cursor's unit lives at: the cursor line's, or the previous non-blank
// line's when the cursor line is empty so far.
int base_indent(std::string_view prefix) {
  auto lines = split_lines(prefix);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!blank(*it) || it == lines.rbegin()) {
      if (blank(*it) && it == lines.rbegin()) {
        if (!it->empty()) return indent_of(*it);  // the user already indented the new line
        continue;
      }
      return indent_of(*it);
    }
  return 0;
}

char opener_of(char closer) { return closer == ')' ? '(' : closer == ']' ? '[' : '{'; }

// Brackets and quotes against the suffix: the brackets left open before the cursor (the last
// few KB, strings not parsed: a heuristic), closed by the suggestion, then by the suffix's
// leading closers. Closers of the suffix that would find nothing open mean the suggestion
// closed them already: its trailing copies go. Quotes likewise: a quote the suffix starts
// with, after an even count of them on the line, is one the suggestion closed.
std::string balance_against_suffix(std::string out, std::string_view prefix, std::string_view suffix) {
  std::vector<char> open;
  for (char c : prefix.substr(prefix.size() > 4096 ? prefix.size() - 4096 : 0)) {
    if (c == '(' || c == '[' || c == '{') open.push_back(c);
    else if ((c == ')' || c == ']' || c == '}') && !open.empty() && open.back() == opener_of(c)) open.pop_back();
  }
  for (char c : out) {
    if (c == '(' || c == '[' || c == '{') open.push_back(c);
    else if ((c == ')' || c == ']' || c == '}') && !open.empty() && open.back() == opener_of(c)) open.pop_back();
  }
  const std::string_view rest = trim(suffix.substr(0, suffix.find('\n')));
  std::string excess;  // the suffix's leading closers that nothing open is left for
  for (char c : rest) {
    if (c != ')' && c != ']' && c != '}') break;
    if (!open.empty() && open.back() == opener_of(c)) open.pop_back();
    else excess += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  if (!excess.empty() && out.ends_with(excess)) out.resize(out.size() - excess.size());

  // Quotes: the suffix starts with a quote that the line before it plus the suggestion have
  // already closed (an even count): the suggestion's last quote is its copy.
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'' || rest.front() == '`')) {
    const char q = rest.front();
    const std::string_view line = prefix.substr(prefix.rfind('\n') == std::string_view::npos ? 0 : prefix.rfind('\n') + 1);
    const auto count = std::count(line.begin(), line.end(), q) + std::count(out.begin(), out.end(), q);
    if (count % 2 == 0 && !out.empty() && out.back() == q) out.pop_back();
  }
  return out;
}

// The syntax check's time for one suggestion, all its parses together: a few ms for a
// usual file; the bound matters for large files and for pathological text, where
// tree-sitter's error recovery can take seconds and gigabytes (found by fuzz_postprocess).
constexpr std::chrono::milliseconds kSyntaxCheckBudget{100};

enum class Parse { Clean, Errors, OutOfTime };

// Whether prefix + middle + suffix parses without errors, by `deadline`.
Parse parse_check(const Language& language, std::string_view prefix, std::string_view middle, std::string_view suffix,
                  std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return Parse::OutOfTime;
  std::string text;
  text.reserve(prefix.size() + middle.size() + suffix.size());
  text.append(prefix).append(middle).append(suffix);
  auto tree = SyntaxTree::parse(language, text, left);
  if (!tree) return Parse::OutOfTime;  // (the grammar exists and the text is small: only time fails it)
  return tree->has_error() ? Parse::Errors : Parse::Clean;
}

// The tree's say on the end of the unit: when the file with the suggestion has syntax
// errors, the longest start of the suggestion (whole lines, up to 16 cut) with which it
// parses cleanly. Unchanged when it already parses, or when no start does (the file may be
// broken anyway).
std::string trim_to_valid_syntax(std::string out, const PostprocessInput& in) {
  if (in.language == nullptr || in.language->grammar == nullptr || out.find('\n') == std::string::npos) return out;
  const auto deadline = std::chrono::steady_clock::now() + kSyntaxCheckBudget;
  if (parse_check(*in.language, in.prefix, out, in.suffix, deadline) != Parse::Errors) return out;
  std::string_view candidate = out;
  for (int tries = 0; tries < 16; ++tries) {
    const size_t nl = candidate.rfind('\n');
    if (nl == std::string_view::npos) break;
    candidate = candidate.substr(0, nl);
    if (trim(candidate).empty()) continue;
    const Parse p = parse_check(*in.language, in.prefix, candidate, in.suffix, deadline);
    if (p == Parse::Clean) return std::string(candidate);
    if (p == Parse::OutOfTime) break;  // no verdict: the suggestion stays as the shape cut it
  }
  return out;
}

// A degenerate loop, the way a small model fails: the same piece of 1 to 16 characters,
// with a letter or digit in it, at least 8 times in a row over at least 24 characters
// (` 0, 0, 0, 0, 0, 0, 0, 0, 0`). Separator lines (`# -----`) have no letter or digit; a
// short list of zeros stays under the bound. Returns where the middle is cut, after the
// loop's first piece, or npos.
constexpr size_t kLoopMaxPiece = 16;
constexpr size_t kLoopMinRepeats = 8;
constexpr size_t kLoopMinChars = 24;

size_t loop_cut(std::string_view text) {
  size_t best = std::string_view::npos;
  for (size_t p = 1; p <= kLoopMaxPiece && p < text.size(); ++p) {
    // Runs of text[j] == text[j + p]: a run of length L from j repeats text[j, j + p)
    // 1 + L / p times. Every window of a run holds the same characters, so whether its
    // piece has a letter or digit is decided once per run.
    size_t run_start = 0, run = 0;
    bool without_alnum = false;  // this run's piece has none: not a loop, however long
    for (size_t j = 0; j + p < text.size() && j < best; ++j) {
      if (text[j] != text[j + p]) {
        run = 0;
        without_alnum = false;
        continue;
      }
      if (run++ == 0) run_start = j;
      if (without_alnum || run + p < std::max(kLoopMinChars, kLoopMinRepeats * p)) continue;
      const std::string_view piece = text.substr(run_start, p);
      without_alnum =
          std::none_of(piece.begin(), piece.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
      if (without_alnum) continue;
      size_t cut = run_start + p;
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;  // whole characters
      best = std::min(best, cut);
      break;
    }
  }
  return best;
}

// How many of `lines` the shape keeps: one line, or the syntactic unit by indentation.
// *settled: the cut falls on lines the model has finished, so more text cannot move it.
size_t shape_cut(const std::vector<std::string_view>& lines, const PostprocessInput& in, bool* settled) {
  *settled = false;
  if (in.shape == ShapeKind::SingleLine) {
    *settled = lines.size() > 1;  // the first line is complete
    return std::min<size_t>(lines.size(), 1);
  }
  // Stop at the end of the unit: the first later line indented less than the unit.
  const int base = base_indent(in.prefix);
  const std::string_view cursor_line = in.prefix.substr(in.prefix.rfind('\n') == std::string_view::npos
                                                            ? 0 : in.prefix.rfind('\n') + 1);
  const bool opened_block = !trim(cursor_line).empty() &&
                            std::strchr("{:([", trim(cursor_line).back()) != nullptr;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (blank(lines[i])) continue;
    // Not blank: the line's indentation and first character are written.
    const int ind = indent_of(lines[i]);
    // After a block opener the body is deeper than the opener's line; a line back at the
    // opener's level ends the unit unless it closes the block itself.
    const bool closes = !trim(lines[i]).empty() && std::strchr("}])", trim(lines[i]).front()) != nullptr;
    if (ind < base || (opened_block && ind == base && !closes)) {
      *settled = true;
      return i;
    }
    if (opened_block && ind == base && closes) {
      *settled = i + 1 < lines.size();  // the closing line is kept: it must be complete
      return i + 1;
    }
  }
  return lines.size();
}

// The middle as the shape keeps it (whole lines), then cut where it falls into a loop.
// *settled: more of the middle cannot change it (the shape's cut is final, or a loop is in
// the kept lines: a line the shape may still cut at is one the loop has not reached).
std::string_view shaped_middle(const PostprocessInput& in, bool* settled) {
  const std::vector<std::string_view> lines = split_lines(in.middle);
  const size_t keep = shape_cut(lines, in, settled);
  const std::string_view kept =
      in.middle.substr(0, static_cast<size_t>(lines[keep - 1].data() + lines[keep - 1].size() - in.middle.data()));
  const size_t loop = loop_cut(kept);
  if (loop != std::string_view::npos) *settled = true;
  return kept.substr(0, loop);
}

}  // namespace

bool settled(const PostprocessInput& in) {
  bool done = false;
  shaped_middle(in, &done);
  return done;
}

std::string postprocess(const PostprocessInput& in) {
  bool done = false;
  std::vector<std::string_view> lines = split_lines(shaped_middle(in, &done));
  // Drop trailing lines that repeat the next non-blank lines of the suffix.
  std::vector<std::string_view> next;
  for (std::string_view l : split_lines(in.suffix))
    if (!blank(l)) next.push_back(trim(l));
  while (lines.size() > 1 && !next.empty() && trim(lines.back()) == next.front()) lines.pop_back();
  while (!lines.empty() && blank(lines.back()) && lines.size() > 1) lines.pop_back();

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  out = balance_against_suffix(std::move(out), in.prefix, in.suffix);
  if (in.shape == ShapeKind::MultiLine) out = trim_to_valid_syntax(std::move(out), in);

  // The file's indentation style for the lines after the first.
  if (file_uses_tabs(in.prefix, in.suffix)) {
    std::string converted;
    for (size_t i = 0, line_start = 0; i <= out.size(); ++i) {
      if (i == out.size() || out[i] == '\n') {
        std::string_view line(out.data() + line_start, i - line_start);
        if (line_start > 0) {
          const int ind = indent_of(line);
          size_t skip = 0;
          while (skip < line.size() && (line[skip] == ' ' || line[skip] == '\t')) ++skip;
          converted += std::string(static_cast<size_t>(ind / 4), '\t') + std::string(static_cast<size_t>(ind % 4), ' ');
          converted += line.substr(skip);
        } else {
          converted += line;
        }
        if (i < out.size()) converted += '\n';
        line_start = i + 1;
      }
    }
    out = std::move(converted);
  }

  // Nothing worth showing: whitespace only, or the same line over and over.
  if (trim(out).empty()) return {};
  auto final_lines = split_lines(out);
  if (final_lines.size() >= 3) {
    size_t repeats = 0;
    for (size_t i = 1; i < final_lines.size(); ++i)
      if (!blank(final_lines[i]) && trim(final_lines[i]) == trim(final_lines[i - 1])) ++repeats;
    if (repeats * 2 >= final_lines.size()) return {};
  }
  return out;
}

}  // namespace infilld::context
