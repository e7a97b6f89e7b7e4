#include "context/syntax_tree.h"

#include <cstdlib>
#include <limits>
#include <utility>

namespace infilld::context {
namespace {

constexpr uint64_t kMaxTextSize = std::numeric_limits<uint32_t>::max();
// Texts up to this size get a fresh parse when a broken tree is repaired (reparse()); a fresh
// parse costs about 0.2 ms per KB (tree-sitter-python, 2 AMD EPYC cores), too much per
// keystroke in a large file (docs/decisions.md, "Per-keystroke document work").
constexpr uint64_t kFreshRepairLimit = 64 * 1024;

bool before_or_at(const BytePoint& a, const BytePoint& b) {
  return a.row < b.row || (a.row == b.row && a.column <= b.column);
}

TSPoint to_ts(const BytePoint& p) { return TSPoint{p.row, p.column}; }

// tree-sitter reads [data, data + size); a default-constructed view has no data pointer.
const char* data_of(std::string_view text) { return text.data() ? text.data() : ""; }

}  // namespace

SyntaxTree::SyntaxTree(const Language& language, ParserPtr parser) noexcept
    : language_(language), parser_(std::move(parser)) {}

Expected<SyntaxTree> SyntaxTree::parse(const Language& language, std::string_view text,
                                       std::chrono::microseconds limit) {
  if (language.grammar == nullptr) {
    return error("cannot parse '", language.name,
                 "': the language has no tree-sitter grammar (plain text); use the text "
                 "without a syntax tree");
  }
  if (text.size() >= kMaxTextSize) {
    return error("cannot parse a ", language.name, " text of ", text.size(),
                 " bytes: tree-sitter takes less than 4 GiB");
  }
  ParserPtr parser(ts_parser_new());
  if (!parser) return error("cannot parse ", language.name, ": ts_parser_new failed");
  // Fails only when the grammar's ABI is outside the range the core supports.
  if (!ts_parser_set_language(parser.get(), language.grammar)) {
    return error("cannot parse ", language.name, ": the grammar has ABI version ",
                 ts_language_abi_version(language.grammar), ", the tree-sitter core supports ",
                 TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, "..", TREE_SITTER_LANGUAGE_VERSION,
                 "; pin compatible versions in third_party/package.json");
  }
  SyntaxTree tree(language, std::move(parser));
  INFILLD_TRY(tree.reparse(text, limit));
  return tree;
}

Status SyntaxTree::edit_and_reparse(const ByteEdit& byte_edit, std::string_view new_text) {
  edit(byte_edit);
  return reparse(new_text);
}

void SyntaxTree::edit(const ByteEdit& e) {
  if (!tree_ || !edits_consistent_) return;  // the next reparse starts from scratch anyway
  // ts_tree_edit trusts its input; a backwards or out-of-range edit would corrupt the tree.
  const bool ordered = e.start_byte <= e.old_end_byte && e.start_byte <= e.new_end_byte &&
                       before_or_at(e.start_point, e.old_end_point) &&
                       before_or_at(e.start_point, e.new_end_point);
  if (!ordered || e.old_end_byte > text_size_) {
    edits_consistent_ = false;
    return;
  }
  const uint64_t new_size = uint64_t{text_size_} - (e.old_end_byte - e.start_byte) +
                            (e.new_end_byte - e.start_byte);
  if (new_size >= kMaxTextSize) {
    edits_consistent_ = false;
    return;
  }
  const TSInputEdit input{e.start_byte,          e.old_end_byte,          e.new_end_byte,
                          to_ts(e.start_point), to_ts(e.old_end_point), to_ts(e.new_end_point)};
  ts_tree_edit(tree_.get(), &input);
  text_size_ = static_cast<uint32_t>(new_size);
}

Status SyntaxTree::reparse(std::string_view new_text, std::chrono::microseconds limit) {
  if (!parser_) return error("cannot reparse: the syntax tree was moved from");
  if (new_text.size() >= kMaxTextSize) {
    edits_consistent_ = false;
    return error("cannot reparse a ", language_.name, " text of ", new_text.size(),
                 " bytes: tree-sitter takes less than 4 GiB");
  }
  // Reuse the old tree only when the edits account for exactly the new text's length.
  bool incremental = tree_ && edits_consistent_ && text_size_ == new_text.size();
  const bool had_errors = tree_ && ts_node_has_error(ts_tree_root_node(tree_.get()));
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (limit.count() > 0) deadline = std::chrono::steady_clock::now() + limit;
  TreePtr parsed = parse_text(new_text, incremental ? tree_.get() : nullptr, deadline);
  if (!parsed && deadline && incremental && std::chrono::steady_clock::now() >= *deadline) {
    // Out of time: keep the edited tree (its positions already follow the edits).
    ts_parser_reset(parser_.get());
    stale_ = true;
    return Status::ok();
  }
  // Subtrees reused from a broken tree can keep an ambiguity resolved differently from a fresh
  // parse even once the text is valid again (tree-sitter-cpp: `std::pair<Key, Count>` kept
  // `Key` as an expression after a repair far away). Valid text must get one tree whatever
  // its history, so the first error-free tree after a broken one is parsed from scratch, in
  // texts small enough for that to cost little (in larger ones the incremental tree stays).
  if (parsed && incremental && had_errors && new_text.size() <= kFreshRepairLimit &&
      !ts_node_has_error(ts_tree_root_node(parsed.get()))) {
    if (TreePtr fresh = parse_text(new_text, nullptr, deadline)) {
      parsed = std::move(fresh);
      incremental = false;
    } else {
      ts_parser_reset(parser_.get());  // out of time: the incremental tree stays
    }
  }
  if (!parsed) {
    // Only a timeout or cancellation (neither set here) or a missing language end up here.
    ts_parser_reset(parser_.get());
    edits_consistent_ = false;
    return error("tree-sitter failed to parse ", new_text.size(), " bytes of ", language_.name);
  }
  tree_ = std::move(parsed);
  text_size_ = static_cast<uint32_t>(new_text.size());
  edits_consistent_ = true;
  last_parse_incremental_ = incremental;
  stale_ = false;
  return Status::ok();
}

TreePtr SyntaxTree::parse_text(std::string_view text, const TSTree* old_tree,
                               std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!deadline)
    return TreePtr(ts_parser_parse_string(parser_.get(), old_tree, data_of(text), static_cast<uint32_t>(text.size())));
  // The same parse, read through a TSInput so that a progress callback can stop it.
  struct Source {
    std::string_view text;
    std::chrono::steady_clock::time_point deadline;
  } source{text, *deadline};
  TSInput input{};
  input.payload = &source;
  input.read = [](void* payload, uint32_t byte, TSPoint, uint32_t* bytes_read) -> const char* {
    const auto* s = static_cast<const Source*>(payload);
    if (byte >= s->text.size()) {
      *bytes_read = 0;
      return "";
    }
    *bytes_read = static_cast<uint32_t>(s->text.size() - byte);
    return s->text.data() + byte;
  };
  input.encoding = TSInputEncodingUTF8;
  TSParseOptions options{};
  options.payload = &source;
  options.progress_callback = [](TSParseState* state) {  // true: stop
    return std::chrono::steady_clock::now() >= static_cast<const Source*>(state->payload)->deadline;
  };
  return TreePtr(ts_parser_parse_with_options(parser_.get(), old_tree, input, options));
}

TSNode SyntaxTree::root() const { return tree_ ? ts_tree_root_node(tree_.get()) : TSNode{}; }

std::string SyntaxTree::sexp() const {
  if (!tree_) return {};
  // ts_node_string allocates with the core's allocator: malloc unless ts_set_allocator changed
  // it, which this program never does.
  std::unique_ptr<char, decltype(&std::free)> text(ts_node_string(root()), &std::free);
  return text ? std::string(text.get()) : std::string();
}

bool SyntaxTree::has_error() const { return tree_ && ts_node_has_error(root()); }

TSNode SyntaxTree::node_at(uint32_t byte_offset) const {
  if (!tree_) return TSNode{};
  return ts_node_named_descendant_for_byte_range(root(), byte_offset, byte_offset);
}

std::vector<TSNode> ancestors(TSNode node) {
  std::vector<TSNode> result;
  if (ts_node_is_null(node)) return result;
  for (TSNode parent = ts_node_parent(node); !ts_node_is_null(parent);
       parent = ts_node_parent(parent)) {
    result.push_back(parent);
  }
  return result;
}

}  // namespace infilld::context
