// The context pipeline on arbitrary bytes in each of the nine languages (and plain text):
// language detection, the tree-sitter parse, an incremental edit and reparse, the completion
// shape, the prompt windows and the post-processing of a middle. Beyond "never a crash":
//   - the tree spans the whole text, before and after the edit;
//   - a tree with errors that an edit repairs is the tree a fresh parse gives
//     (SyntaxTree::reparse's promise for texts up to 64 KB; an incremental reparse of a
//     clean tree may resolve an ambiguity differently, and is not compared);
//   - the shape asks for no tokens when it says None, and a sane count otherwise;
//   - the prompt's suffix is the text right after the cursor (the rest of its line at
//     least), its prefix ends with the text right before it (the cursor's line at least),
//     behind the kept lines.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "context/languages.h"
#include "context/postprocess.h"
#include "context/prompt.h"
#include "context/shape.h"
#include "context/syntax_tree.h"

namespace {

using namespace infilld::context;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::string_view kIds[] = {"c", "cpp", "python", "javascript", "typescript", "typescriptreact",
                                     "go", "rust", "java", "plaintext"};
constexpr std::string_view kPaths[] = {"a.c", "a.cc", "a.py", "a.js", "a.ts", "a.tsx", "a.go", "a.rs", "A.java", "a.txt"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // Detection: by one of the known ids, by a path's extension, or by fuzzed strings.
  const size_t which = in.ConsumeIntegralInRange<size_t>(0, std::size(kIds) - 1);
  const Language& language = in.ConsumeBool() ? language_for(kIds[which], "") : language_for("", kPaths[which]);
  (void)language_for(in.ConsumeRandomLengthString(16), in.ConsumeRandomLengthString(32));
  if (which + 1 < std::size(kIds)) require(language.grammar != nullptr);

  const bool explicit_request = in.ConsumeBool();
  const int64_t budget = in.ConsumeIntegralInRange<int64_t>(0, 512);
  const size_t edit_at = in.ConsumeIntegral<uint16_t>();
  const size_t edit_length = in.ConsumeIntegralInRange<size_t>(0, 8);
  const std::string inserted = in.ConsumeRandomLengthString(16);
  const std::string middle = in.ConsumeRandomLengthString(128);
  const size_t cursor_pick = in.ConsumeIntegral<uint16_t>();
  std::string text = in.ConsumeRemainingBytesAsString();

  std::optional<SyntaxTree> tree;
  if (language.grammar != nullptr) {
    // Bounded as the server bounds its first parse (garbage can make error recovery run for
    // minutes); past the limit the text goes on without a tree.
    auto parsed = SyntaxTree::parse(language, text, std::chrono::seconds(1));
    if (!parsed) return 0;
    tree.emplace(std::move(*parsed));
    require(ts_node_end_byte(tree->root()) == text.size());

    // One edit, reparsed incrementally.
    const size_t from = std::min(edit_at, text.size());
    const size_t to = std::min(text.size(), from + edit_length);
    ByteEdit edit;
    auto point = [&](size_t offset) {
      BytePoint p;
      for (size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') ++p.row, p.column = 0;
        else ++p.column;
      return p;
    };
    edit.start_byte = static_cast<uint32_t>(from);
    edit.old_end_byte = static_cast<uint32_t>(to);
    edit.new_end_byte = static_cast<uint32_t>(from + inserted.size());
    edit.start_point = point(from);
    edit.old_end_point = point(to);
    text.replace(from, to - from, inserted);
    edit.new_end_point = point(from + inserted.size());
    const bool had_error = tree->has_error();
    tree->edit(edit);
    if (!tree->reparse(text, std::chrono::seconds(1)) || tree->stale()) return 0;  // out of time
    require(ts_node_end_byte(tree->root()) == text.size());
    if (had_error && !tree->has_error() && text.size() <= 64 * 1024) {
      auto fresh = SyntaxTree::parse(language, text, std::chrono::seconds(1));
      require(!fresh || fresh->sexp() == tree->sexp());
    }
  }
  const SyntaxTree* syntax = tree ? &*tree : nullptr;

  const size_t cursor = text.empty() ? 0 : cursor_pick % (text.size() + 1);
  const Shape shape = completion_shape(text, cursor, syntax, explicit_request);
  require(shape.kind == ShapeKind::None ? shape.max_tokens == 0 : shape.max_tokens > 0 && shape.max_tokens <= 4096);

  const TokenCounter count = [](std::string_view s) { return static_cast<int64_t>(s.size() / 3 + 1); };
  PromptOptions options;
  options.budget = budget;
  const Prompt prompt = build_prompt(text, cursor, syntax, count, options);
  const std::string_view after = std::string_view(text).substr(cursor);
  const std::string_view before = std::string_view(text).substr(0, cursor);
  require(after.starts_with(prompt.suffix));
  const size_t line_end = after.find('\n');
  require(prompt.suffix.size() >= (line_end == std::string_view::npos ? after.size() : line_end + 1));
  size_t kept = 0;
  for (const std::string& line : prompt.kept) kept += line.size();
  require(kept <= prompt.prefix.size());
  const std::string_view window = std::string_view(prompt.prefix).substr(kept);
  require(before.ends_with(window));
  const size_t line_start = before.rfind('\n');
  require(window.size() >= before.size() - (line_start == std::string_view::npos ? 0 : line_start + 1));

  PostprocessInput post;
  post.middle = middle;
  post.prefix = prompt.prefix;
  post.suffix = prompt.suffix;
  post.shape = shape.kind;
  post.language = &language;
  const std::string suggestion = postprocess(post);
  if (shape.kind == ShapeKind::SingleLine) require(suggestion.find('\n') == std::string::npos);
  return 0;
}
