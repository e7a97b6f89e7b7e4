#include "lsp/transport.h"

#include <cstdint>
#include <cstdlib>

namespace infilld::lsp {

namespace {

// Stream handles of any kind are allocated as uv_any_handle and freed in their close callback.
template <typename T>
T* allocate_handle() {
  return reinterpret_cast<T*>(new uv_any_handle{});
}

void close_any(uv_handle_t* h) {
  if (h == nullptr || uv_is_closing(h)) return;
  uv_close(h, [](uv_handle_t* closed) { delete reinterpret_cast<uv_any_handle*>(closed); });
}

Expected<uv_stream_t*> open_fd(uv_loop_t* loop, int fd, const char* name) {
  switch (uv_guess_handle(fd)) {
    case UV_TTY: {
      auto* tty = allocate_handle<uv_tty_t>();
      if (int rc = uv_tty_init(loop, tty, fd, 0); rc != 0) {
        delete reinterpret_cast<uv_any_handle*>(tty);
        return error(name, ": ", uv_strerror(rc));
      }
      return reinterpret_cast<uv_stream_t*>(tty);
    }
    case UV_NAMED_PIPE:
    case UV_TCP: {
      // A socketpair also reads as a pipe to libuv's uv_pipe_open.
      auto* pipe = allocate_handle<uv_pipe_t>();
      uv_pipe_init(loop, pipe, 0);
      if (int rc = uv_pipe_open(pipe, fd); rc != 0) {
        close_any(reinterpret_cast<uv_handle_t*>(pipe));
        return error(name, ": ", uv_strerror(rc));
      }
      return reinterpret_cast<uv_stream_t*>(pipe);
    }
    default:
      return error(name, " is not a pipe, socket or terminal (the language server reads a stream; "
                   "use --port for a socket)");
  }
}

// One write: the framed messages it carries live as long as libuv needs them.
struct WriteRequest {
  uv_write_t req;
  std::vector<std::string> parts;
};

}  // namespace

Expected<std::unique_ptr<Transport>> Transport::stdio(uv_loop_t* loop, size_t max_body) {
  std::unique_ptr<Transport> t(new Transport(loop, max_body));
  auto in = open_fd(loop, 0, "stdin");
  if (!in) return in.error();
  t->in_ = *in;
  auto out = open_fd(loop, 1, "stdout");
  if (!out) return out.error();
  t->out_ = *out;
  return t;
}

Expected<std::unique_ptr<Transport>> Transport::tcp(uv_loop_t* loop, int port, size_t max_body) {
  std::unique_ptr<Transport> t(new Transport(loop, max_body));
  t->listener_ = allocate_handle<uv_tcp_t>();
  uv_tcp_init(loop, t->listener_);
  t->listener_->data = t.get();
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", port, &addr);
  if (int rc = uv_tcp_bind(t->listener_, reinterpret_cast<const sockaddr*>(&addr), 0); rc != 0)
    return error("cannot listen on 127.0.0.1:", port, ": ", uv_strerror(rc));
  const int rc = uv_listen(reinterpret_cast<uv_stream_t*>(t->listener_), 1, [](uv_stream_t* server, int status) {
    auto* self = static_cast<Transport*>(server->data);
    if (status != 0 || self == nullptr || self->in_ != nullptr) return;
    auto* client = allocate_handle<uv_tcp_t>();
    uv_tcp_init(self->loop_, client);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
      close_any(reinterpret_cast<uv_handle_t*>(client));
      return;
    }
    uv_tcp_nodelay(client, 1);
    self->in_ = self->out_ = reinterpret_cast<uv_stream_t*>(client);
    // One client: stop listening.
    self->listener_->data = nullptr;
    close_any(reinterpret_cast<uv_handle_t*>(self->listener_));
    self->listener_ = nullptr;
    self->start_reading();
  });
  if (rc != 0) return error("cannot listen on 127.0.0.1:", port, ": ", uv_strerror(rc));
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(t->listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  t->port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return t;
}

Transport::~Transport() { close(); }

void Transport::start(OnBody on_body, OnClose on_close) {
  on_body_ = std::move(on_body);
  on_close_ = std::move(on_close);
  if (in_ != nullptr) start_reading();
}

void Transport::start_reading() {
  in_->data = this;
  uv_read_start(
      in_,
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static thread_local char buffer[64 * 1024];
        *buf = uv_buf_init(buffer, sizeof(buffer));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        if (auto* self = static_cast<Transport*>(s->data)) self->on_read(n, buf);
      });
}

void Transport::on_read(ssize_t n, const uv_buf_t* buf) {
  if (n < 0) {  // end of input or an error: the client is gone
    uv_read_stop(in_);
    if (on_close_) {
      auto gone = std::move(on_close_);
      gone();
    }
    return;
  }
  reader_.feed(std::string_view(buf->base, static_cast<size_t>(n)));
  while (!closed_) {
    auto body = reader_.next();
    if (!body) break;
    on_body_(std::move(*body));
  }
}

void Transport::send(std::string_view body, Outbox::Kind kind) {
  if (closed_ || out_ == nullptr) return;
  outbox_.push(frame(body), kind);
  if (outbox_.should_pause() && !read_paused_ && in_ != nullptr) {
    uv_read_stop(in_);
    read_paused_ = true;
    ++read_pauses_;
  }
  flush();
}

void Transport::flush() {
  if (closed_ || writing_ || out_ == nullptr || outbox_.empty()) return;
  out_->data = this;  // (the same handle as in_ for TCP)
  writing_ = true;
  if (write_batch(outbox_.take()) != 0) {
    writing_ = false;
    on_write_error();
  }
}

int Transport::write_batch(std::vector<std::string> parts) {
  auto* w = new WriteRequest{};
  w->parts = std::move(parts);
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->parts.size());
  for (std::string& part : w->parts) bufs.push_back(uv_buf_init(part.data(), static_cast<unsigned>(part.size())));
  const int started = uv_write(&w->req, out_, bufs.data(), static_cast<unsigned>(bufs.size()), [](uv_write_t* req, int status) {
    // A write that fails (EPIPE: the client closed its end) means the client is gone, as
    // the end of its input does. The handle's data is cleared when the transport closes.
    auto* self = static_cast<Transport*>(req->handle->data);
    delete reinterpret_cast<WriteRequest*>(req);
    if (self == nullptr) return;
    self->writing_ = false;
    if (status < 0 && status != UV_ECANCELED) return self->on_write_error();
    self->on_written();
  });
  if (started != 0) delete w;
  return started;
}

void Transport::on_written() {
  if (read_paused_ && outbox_.may_resume() && !closed_) {
    read_paused_ = false;
    start_reading();
  }
  flush();
}

void Transport::on_write_error() {
  if (closed_ || !on_close_) return;
  auto gone = std::move(on_close_);
  gone();
}

void Transport::close() {
  if (closed_) return;
  closed_ = true;
  if (listener_ != nullptr) {
    listener_->data = nullptr;
    close_any(reinterpret_cast<uv_handle_t*>(listener_));
    listener_ = nullptr;
  }
  if (in_ != nullptr) {
    in_->data = nullptr;
    uv_read_stop(in_);
  }
  // The output closes after its queued writes: what still waits in the outbox is handed
  // to libuv now, and uv_shutdown waits for it.
  if (out_ != nullptr) {
    out_->data = nullptr;
    while (!outbox_.empty()) write_batch(outbox_.take(SIZE_MAX));
    auto* req = new uv_shutdown_t{};
    uv_stream_t* out = out_;
    if (uv_shutdown(req, out, [](uv_shutdown_t* r, int) {
          close_any(reinterpret_cast<uv_handle_t*>(r->handle));
          delete r;
        }) != 0) {
      delete req;
      close_any(reinterpret_cast<uv_handle_t*>(out));
    }
  }
  if (in_ != nullptr && in_ != out_) close_any(reinterpret_cast<uv_handle_t*>(in_));
  in_ = out_ = nullptr;
}

}  // namespace infilld::lsp
