#include "context/document.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace infilld::context {
namespace {

constexpr size_t kMaxBytes = std::numeric_limits<uint32_t>::max();  // TSInputEdit is 32-bit

struct ByteRange {
  size_t start = 0;
  size_t end = 0;
};

// What undoes one applied edit: put `old_text` back over [start, new_end).
struct Undo {
  size_t start = 0;
  size_t new_end = 0;
  std::string old_text;
};

bool before(Position a, Position b) {
  return a.line < b.line || (a.line == b.line && a.character < b.character);
}

std::string show(Position p) {
  return "(line " + std::to_string(p.line) + ", character " + std::to_string(p.character) + ")";
}

// Checks one edit against the text as it is now and returns the bytes it replaces.
Expected<ByteRange> resolve(const LineIndex& index, const TextEdit& edit,
                            PositionEncoding encoding) {
  const size_t size = index.text().size();
  ByteRange bytes{0, size};  // no range: the whole text
  if (edit.range) {
    Expected<size_t> start = index.offset_of(edit.range->start, encoding);
    if (!start) return error("range start: ", start.message());
    Expected<size_t> end = index.offset_of(edit.range->end, encoding);
    if (!end) return error("range end: ", end.message());
    // offset_of is monotonic, so ordered positions give ordered offsets; both are checked
    // because an end past its line's end clamps and could otherwise hide the inversion.
    if (before(edit.range->end, edit.range->start) || *end < *start)
      return error("range end ", show(edit.range->end), " is before its start ",
                   show(edit.range->start), "; a range's end must not precede its start");
    bytes = ByteRange{*start, *end};
  }
  const size_t new_size = size - (bytes.end - bytes.start) + edit.text.size();
  if (std::max(size, new_size) > kMaxBytes)
    return error("the text would be ", new_size, " bytes; at most ", kMaxBytes,
                 " are supported (tree-sitter offsets are 32-bit)");
  return bytes;
}

}  // namespace

Document::Document(std::string uri, std::string language_id, int64_t version,
                   std::string text)
    : uri_(std::move(uri)),
      language_id_(std::move(language_id)),
      version_(version),
      index_(std::move(text)) {}

Expected<std::vector<ByteEdit>> Document::apply(std::span<const TextEdit> edits,
                                                int64_t new_version,
                                                PositionEncoding encoding) {
  if (new_version <= version_)
    return error(uri_, ": version ", new_version, " is not newer than the current version ",
                 version_, "; changes arrived out of order or twice: nothing was applied");

  std::vector<ByteEdit> applied;
  applied.reserve(edits.size());
  std::vector<Undo> undo;  // applied edits, to roll back if a later one is invalid
  for (size_t i = 0; i < edits.size(); ++i) {
    const TextEdit& edit = edits[i];
    Expected<ByteRange> range = resolve(index_, edit, encoding);
    if (!range) {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it)
        index_.replace(it->start, it->new_end, it->old_text);
      return error(uri_, ": edit ", i, " (0-based) of ", edits.size(), ": ", range.message(),
                   "; nothing was applied, the document is still at version ", version_);
    }
    const size_t start = range->start, old_end = range->end;
    const size_t new_end = start + edit.text.size();
    ByteEdit byte_edit;
    byte_edit.start_byte = static_cast<uint32_t>(start);  // resolve() bounds both sizes
    byte_edit.old_end_byte = static_cast<uint32_t>(old_end);
    byte_edit.new_end_byte = static_cast<uint32_t>(new_end);
    byte_edit.start_point = index_.point_of(start);
    byte_edit.old_end_point = index_.point_of(old_end);
    // Nothing can fail after the last edit, so it needs no undo record.
    if (i + 1 < edits.size())
      undo.push_back(Undo{start, new_end, index_.text().substr(start, old_end - start)});
    index_.replace(start, old_end, edit.text);
    byte_edit.new_end_point = index_.point_of(new_end);
    applied.push_back(byte_edit);
  }
  version_ = new_version;
  return applied;
}

}  // namespace infilld::context
