#include "lsp/framing.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace infilld::lsp {
namespace {

constexpr std::string_view kToken = "content-length:";
constexpr size_t kCompactAt = 4096;
constexpr size_t kReleaseCapacity = size_t{1} << 20;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Position of `token` (lower case) in `text`, compared case-insensitively, or npos.
size_t find_ci(std::string_view text, std::string_view token) {
  if (text.size() < token.size()) return std::string_view::npos;
  for (size_t i = 0; i + token.size() <= text.size(); ++i)
    if (iequals(text.substr(i, token.size()), token)) return i;
  return std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A short printable excerpt of untrusted header text for an error message.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (char c : s.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace

void FrameReader::feed(std::string_view bytes) {
  if (skip_ > 0) {  // buffer_ is empty while skipping: drop the bytes before storing them
    const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, bytes.size()));
    bytes.remove_prefix(n);
    skip_ -= n;
  }
  if (bytes.empty()) return;
  buffer_.append(bytes);
  parse();
  compact();
}

std::optional<Expected<std::string>> FrameReader::next() {
  if (ready_.empty()) return std::nullopt;
  Expected<std::string> out = std::move(ready_.front());
  ready_.pop_front();
  if (out) queued_bytes_ -= out->size();
  return out;
}

void FrameReader::reset_header() {
  header_bytes_ = 0;
  content_length_.reset();
}

void FrameReader::fail(std::string message) {
  ready_.emplace_back(Error{"LSP framing: " + std::move(message)});
  reset_header();
  state_ = State::Resync;
}

void FrameReader::discard_skipped() {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, buffer_.size() - pos_));
  pos_ += n;
  skip_ -= n;
}

bool FrameReader::parse_header_line(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail("header line without ':' (\"" + excerpt(line) +
         "\"); skipping to the next \"Content-Length:\"");
    return false;
  }
  if (!iequals(trim(line.substr(0, colon)), "content-length")) return true;  // ignored
  const std::string_view value = trim(line.substr(colon + 1));
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    fail("Content-Length is not a decimal number of bytes (\"" + excerpt(value) +
         "\"); skipping to the next \"Content-Length:\"");
    return false;
  }
  if (content_length_ && *content_length_ != n) {
    fail("two different Content-Length values (" + std::to_string(*content_length_) + " and " +
         std::to_string(n) + "); skipping to the next \"Content-Length:\"");
    return false;
  }
  content_length_ = n;
  return true;
}

void FrameReader::parse() {
  for (;;) {
    if (skip_ > 0) {
      discard_skipped();
      if (skip_ > 0) return;
    }
    const std::string_view avail(buffer_.data() + pos_, buffer_.size() - pos_);
    switch (state_) {
      case State::Resync: {
        const size_t at = find_ci(avail, kToken);
        if (at == std::string_view::npos) {  // keep only what could start a match
          pos_ += avail.size() - std::min(avail.size(), kToken.size() - 1);
          return;
        }
        pos_ += at;
        reset_header();
        state_ = State::Header;
        continue;
      }
      case State::Body: {
        if (avail.size() < body_length_) return;
        ready_.emplace_back(std::string(avail.substr(0, body_length_)));
        queued_bytes_ += body_length_;
        pos_ += body_length_;
        state_ = State::Header;
        continue;
      }
      case State::Header: {
        const size_t nl = avail.find('\n');
        if (nl == std::string_view::npos) {
          if (header_bytes_ + avail.size() <= kMaxHeaderBlock) return;
          // Too long: drop the partial line except what could start the next token.
          pos_ += avail.size() - std::min(avail.size(), kToken.size() - 1);
          fail("header block longer than " + std::to_string(kMaxHeaderBlock) +
               " bytes without its blank line; skipping to the next \"Content-Length:\"");
          continue;
        }
        std::string_view line = avail.substr(0, nl);
        pos_ += nl + 1;
        if (header_bytes_ + nl + 1 > kMaxHeaderBlock) {
          fail("header block longer than " + std::to_string(kMaxHeaderBlock) +
               " bytes without its blank line; skipping to the next \"Content-Length:\"");
          continue;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) {
          header_bytes_ += nl + 1;
          parse_header_line(line);  // on error it has already switched to Resync
          continue;
        }
        if (header_bytes_ == 0) continue;  // a stray blank line between messages
        if (!content_length_) {
          fail("header block without Content-Length; skipping to the next \"Content-Length:\"");
          continue;
        }
        const uint64_t length = *content_length_;
        reset_header();
        if (length > max_body_) {
          ready_.emplace_back(Error{"LSP framing: Content-Length " + std::to_string(length) +
                                    " exceeds the limit of " + std::to_string(max_body_) +
                                    " bytes; the body is skipped"});
          skip_ = length;
          continue;
        }
        body_length_ = static_cast<size_t>(length);
        state_ = State::Body;
        continue;
      }
    }
  }
}

void FrameReader::compact() {
  if (pos_ == buffer_.size()) {
    if (buffer_.capacity() > kReleaseCapacity) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
    pos_ = 0;
  } else if (pos_ >= kCompactAt && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
}

std::string frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace infilld::lsp
