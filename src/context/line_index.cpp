#include "context/line_index.h"

#include <algorithm>
#include <limits>

namespace infilld::context {
namespace {

unsigned byte_at(const std::string& text, size_t i) {
  return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;  // 0 is never a tail
}

bool in(unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

// Length of the well-formed UTF-8 sequence starting at text[i] (Unicode table 3-7), or 1
// when the byte starts none: an invalid byte counts as one character of its own.
size_t sequence_length(const std::string& text, size_t i) {
  const unsigned c0 = byte_at(text, i);
  if (c0 < 0x80) return 1;
  if (in(c0, 0xC2, 0xDF)) return in(byte_at(text, i + 1), 0x80, 0xBF) ? 2 : 1;
  if (in(c0, 0xE0, 0xEF)) {
    // E0 excludes overlongs, ED excludes UTF-16 surrogates.
    const unsigned lo = c0 == 0xE0 ? 0xA0 : 0x80, hi = c0 == 0xED ? 0x9F : 0xBF;
    const bool ok = in(byte_at(text, i + 1), lo, hi) && in(byte_at(text, i + 2), 0x80, 0xBF);
    return ok ? 3 : 1;
  }
  if (in(c0, 0xF0, 0xF4)) {
    // F0 excludes overlongs, F4 excludes code points above U+10FFFF.
    const unsigned lo = c0 == 0xF0 ? 0x90 : 0x80, hi = c0 == 0xF4 ? 0x8F : 0xBF;
    const bool ok = in(byte_at(text, i + 1), lo, hi) && in(byte_at(text, i + 2), 0x80, 0xBF) &&
                    in(byte_at(text, i + 3), 0x80, 0xBF);
    return ok ? 4 : 1;
  }
  return 1;
}

// Units one character of `bytes` UTF-8 bytes takes in `encoding`.
int64_t width(size_t bytes, PositionEncoding encoding) {
  switch (encoding) {
    case PositionEncoding::Utf8: return static_cast<int64_t>(bytes);
    case PositionEncoding::Utf16: return bytes == 4 ? 2 : 1;  // 4 bytes: beyond the BMP
    case PositionEncoding::Utf32: return 1;
  }
  return 1;
}

const char* name(PositionEncoding encoding) {
  switch (encoding) {
    case PositionEncoding::Utf8: return "UTF-8";
    case PositionEncoding::Utf16: return "UTF-16";
    case PositionEncoding::Utf32: return "UTF-32";
  }
  return "?";
}

std::string where(Position p) {
  return "position (line " + std::to_string(p.line) + ", character " +
         std::to_string(p.character) + ")";
}

// Line starts in positions [from, to] of `text` (from >= 1): after '\n' for both tables,
// after a '\r' not followed by '\n' for the LSP one.
void collect_starts(const std::string& text, size_t from, size_t to, std::vector<size_t>& lsp,
                    std::vector<size_t>& rows) {
  for (size_t i = from - 1; i < to; ++i) {
    const char c = text[i];
    if (c > '\r') continue;  // fast path: neither break
    if (c == '\n') {
      lsp.push_back(i + 1);
      rows.push_back(i + 1);
    } else if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      lsp.push_back(i + 1);
    }
  }
}

// After text bytes [start, old_end) became `added` bytes: starts at or before start - 1 stay,
// starts in [start, old_end] are replaced by `fresh` (already in new offsets), later ones
// shift. Later starts depend only on bytes from old_end on, earlier ones on bytes before
// start, so nothing else can change.
void update_table(std::vector<size_t>& starts, size_t start, size_t old_end, size_t added,
                  const std::vector<size_t>& fresh) {
  const size_t removed = old_end - start;
  const auto first = std::lower_bound(starts.begin() + 1, starts.end(), start);
  const auto last = std::upper_bound(first, starts.end(), old_end);
  for (auto it = last; it != starts.end(); ++it) *it = *it - removed + added;
  const size_t at = static_cast<size_t>(first - starts.begin());
  const size_t old_count = static_cast<size_t>(last - first);
  const size_t common = std::min(old_count, fresh.size());
  std::copy(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(common),
            starts.begin() + static_cast<std::ptrdiff_t>(at));
  const auto tail = starts.begin() + static_cast<std::ptrdiff_t>(at + common);
  if (fresh.size() > old_count)
    starts.insert(tail, fresh.begin() + static_cast<std::ptrdiff_t>(common), fresh.end());
  else
    starts.erase(tail, tail + static_cast<std::ptrdiff_t>(old_count - common));
}

}  // namespace

LineIndex::LineIndex(std::string text) : text_(std::move(text)) {
  line_starts_.push_back(0);
  newline_starts_.push_back(0);
  if (!text_.empty()) collect_starts(text_, 1, text_.size(), line_starts_, newline_starts_);
}

size_t LineIndex::line_start(int64_t line) const {
  const int64_t l = std::clamp<int64_t>(line, 0, line_count() - 1);
  return line_starts_[static_cast<size_t>(l)];
}

size_t LineIndex::line_end(int64_t line) const {
  const int64_t l = std::clamp<int64_t>(line, 0, line_count() - 1);
  if (l + 1 == line_count()) return text_.size();  // the last line has no line break
  const size_t start = line_starts_[static_cast<size_t>(l)];
  size_t end = line_starts_[static_cast<size_t>(l) + 1] - 1;  // the '\n' or lone '\r'
  if (text_[end] == '\n' && end > start && text_[end - 1] == '\r') --end;
  return end;
}

size_t LineIndex::line_of(size_t offset) const {
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<size_t>(it - line_starts_.begin()) - 1;
}

size_t LineIndex::sequence_start(size_t at) const {
  // A well-formed sequence has at most 3 tail bytes after its lead, and a lead is never a
  // tail byte, so the first non-tail byte looking back decides.
  for (size_t k = 1; k <= 3 && k <= at; ++k) {
    const unsigned c = static_cast<unsigned char>(text_[at - k]);
    if ((c & 0xC0) != 0x80) return sequence_length(text_, at - k) > k ? at - k : at;
  }
  return at;
}

int64_t LineIndex::count_units(size_t from, size_t to, PositionEncoding encoding) const {
  if (encoding == PositionEncoding::Utf8) return static_cast<int64_t>(to - from);
  int64_t units = 0;
  for (size_t i = from; i < to;) {
    const size_t len = sequence_length(text_, i);
    units += width(len, encoding);
    i += len;
  }
  return units;
}

Expected<size_t> LineIndex::offset_of(Position position, PositionEncoding encoding) const {
  if (position.line < 0 || position.character < 0)
    return error(where(position), ": line and character must be 0 or more (LSP positions are "
                 "0-based)");
  if (position.line >= line_count())
    return error(where(position), ": line ", position.line, " is past the end of the text, "
                 "which has ", line_count(), " line(s), 0 to ", line_count() - 1,
                 "; the client's text differs from ours: resend the full text");
  const size_t start = line_starts_[static_cast<size_t>(position.line)];
  const size_t end = line_end(position.line);
  const auto character = static_cast<uint64_t>(position.character);

  if (encoding == PositionEncoding::Utf8) {
    if (character >= end - start) return end;  // past the line's end: clamp (LSP spec)
    const size_t at = start + character;
    const size_t seq = sequence_start(at);
    if (seq == at) return at;
    const size_t len = sequence_length(text_, seq);
    return error(where(position), ": UTF-8 byte ", character, " falls inside a ", len,
                 "-byte character (bytes ", seq - start, " to ", seq - start + len,
                 " of the line); use ", seq - start, " or ", seq - start + len);
  }
  int64_t column = 0;
  size_t i = start;
  while (i < end && column < position.character) {
    const size_t len = sequence_length(text_, i);
    const int64_t w = width(len, encoding);
    if (column + w > position.character)
      return error(where(position), ": ", name(encoding), " unit ", position.character,
                   " falls inside a surrogate pair (units ", column, " to ", column + w,
                   " of the line are one character); use ", column, " or ", column + w);
    column += w;
    i += len;
  }
  return i;  // i == end when the character was past the line's end: clamped (LSP spec)
}

Position LineIndex::position_of(size_t byte_offset, PositionEncoding encoding) const {
  size_t at = std::min(byte_offset, text_.size());
  const size_t line = line_of(at);
  const size_t start = line_starts_[line];
  at = std::min(at, line_end(static_cast<int64_t>(line)));  // between '\r' and '\n'
  at = sequence_start(at);                                  // inside a character
  return Position{static_cast<int64_t>(line), count_units(start, at, encoding)};
}

BytePoint LineIndex::point_of(size_t byte_offset) const {
  const size_t at = std::min(byte_offset, text_.size());
  const auto it = std::upper_bound(newline_starts_.begin(), newline_starts_.end(), at);
  const size_t row = static_cast<size_t>(it - newline_starts_.begin()) - 1;
  const size_t column = at - newline_starts_[row];
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  return BytePoint{static_cast<uint32_t>(std::min(row, kMax)),
                   static_cast<uint32_t>(std::min(column, kMax))};
}

void LineIndex::replace(size_t start, size_t old_end, std::string_view replacement) {
  start = std::min(start, text_.size());
  old_end = std::clamp(old_end, start, text_.size());
  text_.replace(start, old_end - start, replacement);
  // Starts in new offsets [start, start + added]: each depends on the byte before it and the
  // one at it, so this looks at the byte before the edit and the one after it too.
  std::vector<size_t> lsp, rows;
  const size_t added = replacement.size();
  collect_starts(text_, std::max<size_t>(start, 1), start + added, lsp, rows);
  update_table(line_starts_, start, old_end, added, lsp);
  update_table(newline_starts_, start, old_end, added, rows);
}

}  // namespace infilld::context
