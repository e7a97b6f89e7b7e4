// The byte pipe between the server and one client: stdio or a TCP connection on 127.0.0.1,
// read and written through libuv streams. Incoming bytes go through a FrameReader; each
// complete body (or framing error, already recovered from) is handed to on_body. Outgoing
// bodies are framed and wait in an Outbox (outbox.h: bounded, replies never dropped) until
// the one write in flight is done; nothing blocks. While too many replies wait for a client
// that does not read, reading its input pauses.
//
// Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "common/status.h"
#include "lsp/framing.h"
#include "lsp/outbox.h"

namespace infilld::lsp {

class Transport {
 public:
  using OnBody = std::function<void(Expected<std::string>)>;
  using OnClose = std::function<void()>;  // the client is gone: end of input or a read error

  // stdin and stdout: pipes, sockets or terminals (a regular file is refused: libuv
  // cannot read it as a stream).
  static Expected<std::unique_ptr<Transport>> stdio(uv_loop_t* loop, size_t max_body);
  // Listens on 127.0.0.1:port (0: a free port; port() tells which) and serves the first
  // client that connects; reading starts when it does.
  static Expected<std::unique_ptr<Transport>> tcp(uv_loop_t* loop, int port, size_t max_body);

  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void start(OnBody on_body, OnClose on_close);
  // Replies and the server's requests are never dropped; notifications may be (outbox.h).
  void send(std::string_view body, Outbox::Kind kind = Outbox::Kind::Reply);
  // Stops reading and closes the handles; writes already queued finish first.
  void close();
  int port() const { return port_; }
  const Outbox& outbox() const { return outbox_; }
  int64_t read_pauses() const { return read_pauses_; }  // times reading paused for a slow client

 private:
  explicit Transport(uv_loop_t* loop, size_t max_body) : loop_(loop), reader_(max_body) {}
  void start_reading();
  void on_read(ssize_t n, const uv_buf_t* buf);
  void on_write_error();  // the client stopped reading for good: as the end of its input
  void flush();           // the next batch of the outbox, unless a write is in flight
  void on_written();
  int write_batch(std::vector<std::string> parts);  // uv_write's status

  uv_loop_t* loop_;
  FrameReader reader_;
  uv_stream_t* in_ = nullptr;
  uv_stream_t* out_ = nullptr;  // == in_ for TCP
  uv_tcp_t* listener_ = nullptr;
  int port_ = 0;
  bool closed_ = false;
  Outbox outbox_;
  bool writing_ = false;       // a write of ours is with libuv
  bool read_paused_ = false;   // too many replies wait: the client's input waits too
  int64_t read_pauses_ = 0;
  OnBody on_body_;
  OnClose on_close_;
};

}  // namespace infilld::lsp
