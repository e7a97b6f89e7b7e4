// LSP base-protocol framing: "Content-Length: N\r\n\r\n" followed by N bytes of body.
//
// FrameReader turns a byte stream that arrives in arbitrary chunks (stdio, a socket) into
// message bodies. feed() parses eagerly, so memory stays bounded however the caller
// interleaves feed() and next():
//   - header lines end in "\r\n"; a bare "\n" is tolerated; header names are
//     case-insensitive; every header other than Content-Length (e.g. Content-Type) is
//     ignored; blank lines between messages are skipped;
//   - a header block is malformed when it has no Content-Length, a Content-Length that is
//     not a decimal number (or overflows 64 bits), two different Content-Length values, a
//     line without ':', or more than 8 KiB without its terminating blank line. next() then
//     yields an error, and the reader resynchronises at the next "Content-Length:" (matched
//     case-insensitively anywhere after the offending line, since a lost body need not end
//     with a newline);
//   - a Content-Length above max_body is an error too; the reader then discards exactly
//     Content-Length bytes as they arrive, without ever buffering them, and carries on with
//     the message after them.
// Errors never stop the reader: after one, next() keeps returning later messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace infilld::lsp {

inline constexpr size_t kDefaultMaxBody = size_t{64} << 20;  // 64 MiB
inline constexpr size_t kMaxHeaderBlock = 8192;              // 8 KiB

class FrameReader {
 public:
  explicit FrameReader(size_t max_body = kDefaultMaxBody) : max_body_(max_body) {}

  // Appends incoming bytes and parses as far as they allow.
  void feed(std::string_view bytes);

  // The next complete message body, or an error for a malformed or oversized message
  // (already recovered from), in stream order; nullopt when more bytes are needed.
  std::optional<Expected<std::string>> next();

  // Bytes held in memory: unparsed input plus complete bodies not yet returned by next().
  size_t buffered() const { return buffer_.size() - pos_ + queued_bytes_; }
  // Bytes of an oversized body still to be discarded as they arrive.
  uint64_t skipping() const { return skip_; }

 private:
  enum class State { Header, Body, Resync };

  void parse();
  bool parse_header_line(std::string_view line);  // false after reporting an error
  void fail(std::string message);                 // reports, then resynchronises
  void reset_header();
  void discard_skipped();
  void compact();

  size_t max_body_;
  std::string buffer_;
  size_t pos_ = 0;  // start of the unparsed bytes in buffer_
  State state_ = State::Header;
  size_t header_bytes_ = 0;  // bytes of the current header block consumed so far
  std::optional<uint64_t> content_length_;
  size_t body_length_ = 0;  // in State::Body
  uint64_t skip_ = 0;
  std::deque<Expected<std::string>> ready_;
  size_t queued_bytes_ = 0;
};

// Frames a body for writing: "Content-Length: N\r\n\r\n" + body, N counting bytes.
std::string frame(std::string_view body);

}  // namespace infilld::lsp
