#!/usr/bin/env python3
"""The language server with a remote `backend` (docs/lsp.md, docs/serve.md): its middles
filled by a real `infilld serve` on this machine, through each wire protocol that server
speaks (infilld, openai, fim, llamacpp), by a recording Ollama stand-in (named so: there is
no Ollama here), and the faults: a cancelled or superseded request closes its connection
at once (a holding stand-in that never answers sees the close), the remote's errors reach
the client with the remote's message, a bad backend setting is refused naming its member.

The same document at the same position gives the same suggestion locally and through
`infilld serve` on the same checkpoint (greedy decoding is deterministic; the plan, the
context and the cut to shape are the language server's in both).

    test_lsp_remote.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
"""
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "serve"))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402
from test_serve import OllamaStandIn, Served  # noqa: E402

OPTIONS = {"maxTokens": 16, "debounceMs": 0, "seed": 1, "speculative": False, "cacheSize": 0}
TEXT = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"
POS = {"line": 1, "character": 11}


def serving(k, extra=()):
    """One `infilld serve` on the cases' checkpoint, stopped with the case."""
    s = Served(k.binary, k.model, extra)
    k.clients.append(type("Stopper", (), {"kill": lambda self: s.stop()})())
    return s, "http://127.0.0.1:%d" % s.port


def ready_since(c, mark, timeout=30):
    c.wait_notification("didChangeStatus", lambda p: (p or {}).get("state") == "ready", timeout, mark)


def suggestion(k, backend=None, options=OPTIONS):
    """A fresh language server (with `backend` when given) on TEXT: its first suggestion at
    POS, and its stats."""
    c = k.start()
    initialize(c, options=dict(options, **({"backend": backend} if backend else {})))
    uri = k.uri("add.py")
    open_doc(c, uri, TEXT, language="python")
    items = complete(c, uri, POS, "suggestion", timeout=60)
    s = stats(c)
    finish(c)
    return items[0]["insertText"], s


def case_infilld_serve_gives_the_local_suggestion(k):
    local, local_stats = suggestion(k)
    check(local_stats["forwards"] > 0 and local_stats["device"] == "cpu", "local stats %r" % local_stats)
    _, url = serving(k)
    remote, s = suggestion(k, {"kind": "infilld", "url": url})
    check(remote == local, "through infilld serve %r, locally %r" % (remote, local))
    check(s["device"] == "remote: infilld " + url, "stats device %r" % s["device"])
    check(s["forwards"] == 0, "the language server ran %d forwards itself" % s["forwards"])
    check(s["settings"]["backend"]["url"] == url, "stats settings %r" % s["settings"]["backend"])
    k.note("suggestion %r, the same both ways" % remote)


def case_every_kind_infilld_serve_speaks(k):
    local, _ = suggestion(k)
    _, url = serving(k)
    for kind, base in (("openai", url + "/v1"), ("fim", url + "/v1"), ("llamacpp", url)):
        got, s = suggestion(k, {"kind": kind, "url": base})
        check(got == local, "kind %s: %r, locally %r" % (kind, got, local))
        check(s["device"] == "remote: %s %s" % (kind, base), "kind %s: device %r" % (kind, s["device"]))


def case_ollama_stand_in(k):
    ollama = OllamaStandIn()  # answers "a + b", recording each request
    try:
        got, _ = suggestion(k, {"kind": "ollama", "url": ollama.url, "model": "qwen2.5-coder:1.5b"})
    finally:
        ollama.server.shutdown()
    check(got == "a + b", "the stand-in's stream read as %r" % got)
    path, headers, req = ollama.requests[-1]
    check(path == "/api/generate" and req["model"] == "qwen2.5-coder:1.5b" and req["stream"] is True,
          "request %s %r" % (path, req))
    # The prompt the language server planned: the text before the cursor and after it.
    check(req["prompt"].endswith("def add(a, b):\n    return ") and req["suffix"].startswith("\n\n\nprint(add(1, 2))"),
          "prompt %r, suffix %r" % (req["prompt"][-60:], req["suffix"][:60]))
    check(req["options"]["num_predict"] == 16, "options %r" % req["options"])


class HoldingStandIn:
    """A stand-in remote (named so) that takes each request, sends an SSE stream's headers
    and then nothing: only the client can end the connection. It records when each
    connection's request arrived and when the client closed it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.arrived, self.closed = [], []
        self.cond = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        with self.cond:
            self.arrived.append(time.monotonic())
            self.cond.notify_all()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        conn.settimeout(120)
        try:
            while conn.recv(65536):  # the request's body, then the client's close
                pass
        except OSError:
            pass
        with self.cond:
            self.closed.append(time.monotonic())
            self.cond.notify_all()
        conn.close()

    def wait(self, what, count, timeout):
        with self.cond:
            check(self.cond.wait_for(lambda: len(getattr(self, what)) >= count, timeout),
                  "the stand-in saw %d %s connections, expected %d" % (len(getattr(self, what)), what, count))

    def stop(self):
        self.sock.close()


def case_cancel_and_supersede_close_the_connection(k):
    holder = HoldingStandIn()
    k.clients.append(type("Stopper", (), {"kill": lambda self: holder.stop()})())
    c = k.start()
    initialize(c, options=dict(OPTIONS, backend={"kind": "openai", "url": holder.url + "/v1", "timeoutMs": 600000}))
    uri = k.uri("add.py")
    open_doc(c, uri, TEXT, language="python")
    # $/cancelRequest: answered cancelled, and the transfer's connection closed. (The
    # stand-in would hold it for the transfer's timeout, 10 minutes: a close within 10 s can
    # only come from the cancel.)
    first = inline(c, uri, POS)
    holder.wait("arrived", 1, 30)
    c.cancel(first)
    expect_error(c.wait_response(first, 10), first, CANCELLED, "cancelled request")
    holder.wait("closed", 1, 10)
    # Superseded by a newer request for the same document: the same.
    second = inline(c, uri, POS)
    holder.wait("arrived", 2, 30)
    third = inline(c, uri, POS)
    expect_error(c.wait_response(second, 10), second, CANCELLED, "superseded request")
    holder.wait("closed", 2, 10)
    holder.wait("arrived", 3, 30)
    c.cancel(third)
    expect_error(c.wait_response(third, 10), third, CANCELLED, "the last request")
    holder.wait("closed", 3, 10)
    k.note("connections closed %.0f, %.0f, %.0f ms after their requests arrived (each cancelled at once)"
           % tuple(1000 * (cl - ar) for cl, ar in zip(holder.closed, holder.arrived)))
    finish(c)


def case_remote_errors_reach_the_client(k):
    key_file = os.path.join(k.tmp, "key")
    with open(key_file, "w") as f:
        f.write("team-secret\n")
    _, url = serving(k, ["--api-key-file", key_file])
    c = k.start()
    initialize(c, options=dict(OPTIONS, backend={"kind": "infilld", "url": url}))
    uri = k.uri("add.py")
    open_doc(c, uri, TEXT, language="python")
    rid = inline(c, uri, POS)
    expect_error(c.wait_response(rid, 30), rid, REQUEST_FAILED, "no key", mentions=("HTTP 401", "API key"))
    # The key from the server's environment: a variable that is not set fails the switch,
    # naming it; the server stays up.
    c.notify("workspace/didChangeConfiguration",
             {"settings": {"infilld": {"backend": {"url": url, "apiKeyEnv": "INFILLD_NO_SUCH_KEY_VARIABLE"}}}})
    c.wait_notification("didChangeStatus", lambda p: (p or {}).get("state") == "error" and
                        "INFILLD_NO_SUCH_KEY_VARIABLE" in (p or {}).get("message", ""), 30)
    # Nothing listening there.
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration",
             {"settings": {"infilld": {"backend": {"url": "http://127.0.0.1:1"}}}})
    ready_since(c, mark)
    rid = inline(c, uri, POS)
    expect_error(c.wait_response(rid, 30), rid, REQUEST_FAILED, "no server", mentions=("127.0.0.1:1",))
    # A bad backend object: refused naming the member, the previous backend kept.
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration",
             {"settings": {"infilld": {"backend": {"url": url, "timeoutMs": "soon"}}}})
    c.wait_notification("window/showMessage", lambda p: "timeoutMs" in (p or {}).get("message", ""), 10, mark)
    s = stats(c)
    check(s["settings"]["backend"]["url"] == "http://127.0.0.1:1", "backend after a bad value %r"
          % s["settings"]["backend"])
    # Back to the model here (null: the default backend): a suggestion again.
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"backend": None}}})
    c.wait_notification("window/logMessage", lambda p: "settings changed: backend" in (p or {}).get("message", ""),
                        10, mark)
    ready_since(c, mark)
    complete(c, uri, POS, "local again", timeout=60)
    check(stats(c)["device"] == "cpu", "device after going back to local")
    finish(c)


if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
