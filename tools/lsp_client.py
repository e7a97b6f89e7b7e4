#!/usr/bin/env python3
"""A small Language Server Protocol client for tests (standard library only).

It runs a server as a subprocess and talks JSON-RPC 2.0 with `Content-Length` framing over
the server's stdio, or over TCP when the server is started with `--port 0` (the client
then reads `listening on 127.0.0.1:PORT` from the server's stderr and connects).

    client = LspClient([binary, "lsp", "--model", model_dir])
    rid = client.request("initialize", {"capabilities": {}})
    reply = client.wait_response(rid, timeout=10)      # the whole response dict
    client.notify("initialized", {})
    client.wait_notification("window/showMessage", lambda p: p["type"] == 1, timeout=5)
    client.close_input()
    status = client.wait_exit(timeout=5)                # None on timeout

A reader thread parses every frame the server writes and appends it to `messages` as a
`Received(index, t, msg)` (t: seconds since the client started), so a test can check
afterwards that each request was answered exactly once (`responses(id)`), and what came
before what (`index`). Requests from the server (`window/workDoneProgress/create`, ...)
are answered with a null result at once, and kept in `messages` too. Output that is not a
well-formed frame is recorded in `protocol_errors` (stdout must carry only protocol
messages). Every wait takes a timeout and raises `TimeoutError` when it expires.
"""
import collections
import json
import os
import re
import socket
import subprocess
import threading
import time

Received = collections.namedtuple("Received", "index t msg")


def frame(message):
    """The framed bytes of a message: a dict (JSON-encoded), str or bytes body."""
    if isinstance(message, (dict, list)):
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    elif isinstance(message, str):
        body = message.encode("utf-8")
    else:
        body = bytes(message)
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FrameParser:
    """Incremental parser of the server's output: feed(bytes) -> [(body bytes | None, error)].
    Strict: every header line must be `Name: value` ending in CRLF and Content-Length must
    be present; on a malformed header it reports an error and skips to the next
    `Content-Length:`."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            header, length, error = self.buf[:end], None, None
            for line in header.split(b"\r\n"):
                name, sep, value = line.partition(b":")
                if not sep:
                    error = "header line without ':': %r" % line[:80]
                elif name.strip().lower() == b"content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        error = "bad Content-Length: %r" % value[:80]
            if error is None and length is None:
                error = "header without Content-Length: %r" % header[:80]
            if error is not None:
                out.append((None, error))
                nxt = self.buf.lower().find(b"content-length:", 1)
                self.buf = self.buf[nxt:] if nxt > 0 else b""
                continue
            if len(self.buf) < end + 4 + length:
                return out
            out.append((self.buf[end + 4:end + 4 + length], None))
            self.buf = self.buf[end + 4 + length:]


class LspClient:
    def __init__(self, argv, tcp=False, env=None, cwd=None, start_timeout=10.0):
        """Starts `argv`; with tcp=True, waits for the server's listening line and connects."""
        self.argv = list(argv)
        self.start = time.monotonic()
        self.messages = []         # Received, in arrival order
        self.sent = []             # (t, message dict or raw bytes), in sending order
        self.protocol_errors = []  # malformed output from the server
        self.eof = False           # the server's output ended
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._next_id = 1
        self._stderr = []
        self._sock = None
        self._reading = threading.Event()  # cleared: the reader thread stops reading (a stalled client)
        self._reading.set()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_thread.start()
        if tcp:
            try:
                port = self._wait_listening(start_timeout)
                self._sock = socket.create_connection(("127.0.0.1", port), timeout=start_timeout)
            except (OSError, TimeoutError):
                self.proc.kill()
                self.proc.wait()
                raise
            self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    # ---- sending -----------------------------------------------------------------------

    def send_raw(self, data):
        """Writes bytes as they are (malformed input included). Raises BrokenPipeError
        (or OSError) when the server no longer reads."""
        with self._write_lock:
            self.sent.append((self.elapsed(), bytes(data)))
            if self._sock is not None:
                self._sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()

    def send(self, message):
        """Frames and sends one message dict."""
        data = frame(message)
        with self._write_lock:
            self.sent.append((self.elapsed(), message))
            if self._sock is not None:
                self._sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()

    def send_batch(self, messages):
        """Frames several message dicts and writes them at once (one write, so the server
        reads them together); each is recorded as sent."""
        data = b"".join(frame(m) for m in messages)
        with self._write_lock:
            t = self.elapsed()
            self.sent.extend((t, m) for m in messages)
            if self._sock is not None:
                self._sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()

    def new_id(self):
        """An id for a request built by hand (for send_batch)."""
        id, self._next_id = self._next_id, self._next_id + 1
        return id

    def request(self, method, params=None, id=None):
        """Sends a request (params left out when None); returns its id."""
        if id is None:
            id = self.new_id()
        message = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return id

    def notify(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def cancel(self, id):
        self.notify("$/cancelRequest", {"id": id})

    def call(self, method, params=None, timeout=10.0):
        """request() then wait_response(); returns the response dict."""
        return self.wait_response(self.request(method, params), timeout)

    # ---- receiving ---------------------------------------------------------------------

    def elapsed(self):
        return time.monotonic() - self.start

    def mark(self):
        """The number of messages received so far: pass it as `since` to wait for later ones."""
        with self._cond:
            return len(self.messages)

    def wait_for(self, predicate, timeout, since=0, what="a message"):
        """The first Received at index >= since whose msg satisfies predicate(msg)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = since
            while True:
                while i < len(self.messages):
                    if predicate(self.messages[i].msg):
                        return self.messages[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise TimeoutError("no %s within %.1f s%s" % (
                        what, timeout, " (the server's output ended)" if self.eof else ""))
                self._cond.wait(left)

    def wait_response(self, id, timeout=10.0):
        """The response dict for request `id` (a result or an error)."""
        return self.wait_for(lambda m: is_response(m) and m.get("id") == id, timeout,
                             what="response to id %r" % (id,)).msg

    def wait_notification(self, method, predicate=None, timeout=10.0, since=0):
        """The first notification `method` at index >= since whose params satisfy
        predicate(params); returns the whole Received (index, t, msg)."""
        def match(m):
            return (m.get("method") == method and "id" not in m and
                    (predicate is None or predicate(m.get("params"))))
        return self.wait_for(match, timeout, since, what="%s notification" % method)

    def responses(self, id=None):
        """Every response received for `id` (all responses when id is None)."""
        with self._cond:
            return [r.msg for r in self.messages
                    if is_response(r.msg) and (id is None or r.msg.get("id") == id)]

    def notifications(self, method=None, since=0):
        with self._cond:
            return [r for r in self.messages[since:] if "method" in r.msg and "id" not in r.msg
                    and (method is None or r.msg["method"] == method)]

    def server_requests(self, method=None):
        with self._cond:
            return [r for r in self.messages if "method" in r.msg and "id" in r.msg
                    and (method is None or r.msg["method"] == method)]

    def sent_request_ids(self):
        return [m["id"] for _, m in self.sent
                if isinstance(m, dict) and "method" in m and "id" in m]

    def pause_reading(self):
        """Stops reading the server's output (after the read under way): a client that
        stalls, so the server's writes fill the pipe."""
        self._reading.clear()

    def resume_reading(self):
        self._reading.set()

    def memory_kb(self, field="VmRSS"):
        """The server process's /proc/PID/status field (VmRSS, VmHWM: its peak) in kB;
        None where /proc is not there."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def reset_peak_memory(self):
        """Resets the server's VmHWM to its current resident size (Linux: clear_refs 5), so
        that a later memory_kb("VmHWM") is the peak since now; False where it cannot."""
        try:
            with open("/proc/%d/clear_refs" % self.proc.pid, "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    # ---- lifecycle ---------------------------------------------------------------------

    def close_input(self):
        """Ends the server's input (closes stdin, or shuts the socket's writing side)."""
        with self._write_lock:
            try:
                if self._sock is not None:
                    self._sock.shutdown(socket.SHUT_WR)
                else:
                    self.proc.stdin.close()
            except OSError:
                pass

    def wait_exit(self, timeout=10.0):
        """The server's exit status, or None if it is still running after `timeout`."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(2.0)
        self._stderr_thread.join(2.0)
        return status

    def kill(self):
        """Stops the server if it still runs and closes everything."""
        self._reading.set()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close_input()
        if self._sock is not None:
            self._sock.close()

    def stderr_text(self):
        with self._cond:
            return b"".join(self._stderr).decode("utf-8", "replace")

    def transcript(self, limit=60, width=400):
        """The last `limit` messages either way, one line each, for failure reports."""
        events = [(t, ">>", m) for t, m in self.sent]
        with self._cond:
            events += [(r.t, "<<", r.msg) for r in self.messages]
        events.sort(key=lambda e: e[0])
        lines = []
        for t, arrow, m in events[-limit:]:
            text = m.decode("utf-8", "replace") if isinstance(m, bytes) else \
                json.dumps(m, ensure_ascii=False)
            text = repr(text[:width]) if arrow == ">>" and isinstance(m, bytes) else text[:width]
            lines.append("%8.3f %s %s" % (t, arrow, text))
        return "\n".join(lines)

    # ---- threads -----------------------------------------------------------------------

    def _wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        pattern = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
        with self._cond:
            while True:
                found = pattern.search(b"".join(self._stderr))
                if found:
                    return int(found.group(1))
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError("the server printed no listening line: %r"
                                       % b"".join(self._stderr)[-500:])
                self._cond.wait(min(left, 0.1))

    def _read_stderr(self):
        fd = self.proc.stderr.fileno()
        while True:
            data = os.read(fd, 65536)
            with self._cond:
                if not data:
                    return
                self._stderr.append(data)
                self._cond.notify_all()

    def _read_output(self):
        parser = FrameParser()
        while True:
            self._reading.wait()
            try:
                data = self._sock.recv(65536) if self._sock is not None else \
                    os.read(self.proc.stdout.fileno(), 65536)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    if parser.buf:
                        self.protocol_errors.append("output ended inside a frame: %r"
                                                    % parser.buf[:200])
                    self.eof = True
                    self._cond.notify_all()
                return
            for body, error in parser.feed(data):
                msg = None
                if error is None:
                    try:
                        msg = json.loads(body.decode("utf-8"))
                        if not isinstance(msg, dict):
                            raise ValueError("not an object")
                    except ValueError as e:
                        error, msg = "invalid body (%s): %r" % (e, body[:200]), None
                with self._cond:
                    if error is not None:
                        self.protocol_errors.append(error)
                    else:
                        self.messages.append(Received(len(self.messages), self.elapsed(), msg))
                    self._cond.notify_all()
                if msg is not None and "method" in msg and "id" in msg:
                    try:  # a request from the server: answer it with a null result
                        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                    except (OSError, ValueError):
                        pass


def is_response(message):
    return "method" not in message and ("result" in message or "error" in message)
