#!/usr/bin/env python3
"""`infilld serve` over real HTTP (docs/serve.md): the three completion APIs answer what
`infilld complete` answers for the same prompt and suffix (the suffix is real FIM: another
suffix, another middle), streamed and whole; stop sequences; errors that name the field;
the API key; the queue limit (429); the body limit (413); /health, /v1/models, /metrics;
a client that goes away mid-stream cancels its work; SIGTERM stops the server. And the
other direction: `infilld complete --backend` through each wire protocol (infilld serve
as the server, a recording stand-in for Ollama), keys from the environment.

    test_serve.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]

A tiny printable checkpoint (tools/tiny_checkpoint.py) answers every request.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
from tiny_checkpoint import write_checkpoint  # noqa: E402

PREFIX = "def add(a, b):\n    return "
SUFFIX = "\n\n\nprint(add(1, 2))\n"
OTHER_SUFFIX = "\n\n\nclass Point:\n    x: int\n    y: int\n"


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Served:
    """One `infilld serve` process on a free port."""

    def __init__(self, binary, model, extra=()):
        self.proc = subprocess.Popen([binary, "serve", "--port", "0", "--model", model, *extra],
                                     stderr=subprocess.PIPE, text=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self):
        line = self.proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        check(m, "no listening line from infilld serve: %r" % line)
        self.port = int(m.group(1))
        self.first_line = line
        self.rest = []
        threading.Thread(target=lambda: self.rest.extend(self.proc.stderr), daemon=True).start()
        self.health_seen = set()
        deadline = time.time() + 60
        while True:
            status, _ = self.get("/health")
            self.health_seen.add(status)
            if status == 200:
                break
            check(status == 503 and time.time() < deadline, "/health answered %d while loading" % status)
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def get(self, path, headers=None):
        status, text, _ = self.request("GET", path, headers=headers)
        return status, text

    def post(self, path, body, headers=None):
        status, text, hdrs = self.request("POST", path, body, headers)
        try:
            return status, json.loads(text), hdrs
        except ValueError:
            return status, text, hdrs

    def stream(self, path, body):
        """The SSE events' JSON (and the [DONE] marker as the string "[DONE]")."""
        status, text, hdrs = self.request("POST", path, {**body, "stream": True})
        check(status == 200, "stream %s: HTTP %d %s" % (path, status, text[:200]))
        check(hdrs.get("Content-Type", "").startswith("text/event-stream"), "stream content type %r" % hdrs)
        events = []
        for block in text.split("\n\n"):
            if not block.strip():
                continue
            check(block.startswith("data: "), "not an SSE data line: %r" % block[:80])
            payload = block[len("data: "):]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
        return events

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def cli_complete(binary, model, tmp, prefix, suffix, max_tokens, extra=()):
    p, s = os.path.join(tmp, "prefix.txt"), os.path.join(tmp, "suffix.txt")
    with open(p, "w") as f:
        f.write(prefix)
    with open(s, "w") as f:
        f.write(suffix)
    out = subprocess.run([binary, "complete", "--prefix-file", p, "--suffix-file", s, "--model", model, "--raw",
                          "--json", "--max-tokens", str(max_tokens), *extra], capture_output=True, text=True,
                         timeout=120)
    check(out.returncode == 0, "infilld complete: %s" % out.stderr)
    return json.loads(out.stdout)


# --- cases (each gets the shared context `k`)

def case_health_models(k):
    s = k.server
    status, text = s.get("/health")
    check(status == 200 and json.loads(text) == {"status": "ok"}, "/health: %d %s" % (status, text))
    status, text = s.get("/v1/models")
    models = json.loads(text)
    check(status == 200 and models["object"] == "list" and models["data"][0]["id"] == os.path.basename(k.model),
          "/v1/models: %s" % text)
    status, body, _ = s.post("/nowhere", {})
    check(status == 404 and "no such endpoint" in body["error"]["message"], "unknown endpoint: %d %r" % (status, body))


def case_openai_matches_cli(k):
    s = k.server
    status, body, _ = s.post("/v1/completions", {"model": "m", "prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8})
    check(status == 200, "HTTP %d %r" % (status, body))
    choice = body["choices"][0]
    check(body["object"] == "text_completion" and body["model"] == "m" and choice["index"] == 0, "shape %r" % body)
    check(choice["finish_reason"] in ("stop", "length"), "finish_reason %r" % choice["finish_reason"])
    cli = cli_complete(k.binary, k.model, k.tmp, PREFIX, SUFFIX, 8)
    check(choice["text"] == cli["text"], "served %r, infilld complete %r" % (choice["text"], cli["text"]))
    check(choice["text"], "an empty middle: the next checks would tell nothing")
    usage = body["usage"]
    check(usage["completion_tokens"] == len(cli["tokens"]) and usage["prompt_tokens"] > 0 and
          usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"], "usage %r" % usage)
    status, other, _ = s.post("/v1/completions", {"prompt": PREFIX, "suffix": OTHER_SUFFIX, "max_tokens": 8})
    check(other["choices"][0]["text"] == cli_complete(k.binary, k.model, k.tmp, PREFIX, OTHER_SUFFIX, 8)["text"],
          "another suffix: served and CLI differ")
    check(other["choices"][0]["text"] != choice["text"], "two suffixes gave the same middle %r: the suffix "
          "did not reach the model" % choice["text"])
    k.text = choice["text"]


def case_streams(k):
    s = k.server
    req = {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8}
    events = s.stream("/v1/completions", req)
    check(events[-1] == "[DONE]", "no [DONE] at the end: %r" % events[-1:])
    text = "".join(e["choices"][0]["text"] for e in events[:-1])
    check(text == k.text, "streamed %r, whole %r" % (text, k.text))
    check(events[-2]["choices"][0]["finish_reason"] in ("stop", "length") and "usage" in events[-2],
          "the last event %r" % events[-2])
    check(all(e["choices"][0]["finish_reason"] is None for e in events[:-2]), "a finish reason before the end")

    status, body, _ = s.post("/v1/fim/completions", req)
    check(status == 200 and body["object"] == "chat.completion" and
          body["choices"][0]["message"] == {"role": "assistant", "content": k.text}, "fim: %r" % body)
    events = s.stream("/v1/fim/completions", req)
    check(events[-1] == "[DONE]" and events[0]["object"] == "chat.completion.chunk", "fim stream %r" % events[:1])
    check("".join(e["choices"][0]["delta"]["content"] for e in events[:-1]) == k.text, "fim streamed text")

    llama = {"input_prefix": PREFIX[:10], "prompt": PREFIX[10:], "input_suffix": SUFFIX, "n_predict": 8,
             "input_extra": [], "cache_prompt": True}
    status, body, _ = s.post("/infill", llama)
    check(status == 200 and body["content"] == k.text and body["stop"] is True and
          body["tokens_predicted"] > 0, "/infill: %r (expected %r)" % (body, k.text))
    events = s.stream("/infill", llama)
    check(events[-1] != "[DONE]" and events[-1]["stop"] is True, "/infill stream end %r" % events[-1:])
    check("".join(e["content"] for e in events) == k.text, "/infill streamed text")
    with_extra = dict(llama, input_extra=[{"filename": "util.py", "text": "def add(a, b):\n    return a + b\n" * 3}])
    status, body, _ = s.post("/infill", with_extra)
    check(status == 200 and isinstance(body["content"], str), "/infill with input_extra: %d %r" % (status, body))
    check(body["tokens_evaluated"] > 0, "input_extra: %r" % body)


def case_stop_sequences(k):
    s = k.server
    check(len(k.text) >= 4, "the middle %r is too short to cut" % k.text)
    stop = k.text[2:4]
    cut = k.text[:k.text.find(stop)]
    for path in ("/v1/completions", "/v1/fim/completions"):
        status, body, _ = s.post(path, {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8, "stop": [stop]})
        c = body["choices"][0]
        got = c.get("text", c.get("message", {}).get("content"))
        check(got == cut and c["finish_reason"] == "stop", "%s stop %r: %r" % (path, stop, c))
        events = s.stream(path, {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8, "stop": stop})
        pieces = [e["choices"][0].get("text", e["choices"][0].get("delta", {}).get("content")) for e in events[:-1]]
        check("".join(pieces) == cut, "%s streamed with stop %r: %r" % (path, stop, pieces))


def case_bad_requests(k):
    s = k.server
    for body, field in (({"prompt": PREFIX, "max_tokens": 5000}, "max_tokens"),
                        ({"prompt": PREFIX, "max_tokens": 0}, "max_tokens"),
                        ({"suffix": SUFFIX}, "prompt"),
                        ({"prompt": 5}, "prompt"),
                        ({"prompt": PREFIX, "suffix": ["x"]}, "suffix"),
                        ({"prompt": PREFIX, "stop": 3}, "stop"),
                        ({"prompt": PREFIX, "temperature": "hot"}, "temperature"),
                        ({"prompt": PREFIX, "stream": "yes"}, "stream"),
                        ({"prompt": PREFIX, "n": 2}, "n"),
                        ({"prompt": PREFIX, "steps": -1}, "steps"),
                        ({"prompt": PREFIX, "alg": "best"}, "alg")):
        status, answer, _ = s.post("/v1/completions", body)
        check(status == 400 and answer["error"]["param"] == field and
              answer["error"]["message"].startswith(field + ":"), "%r: %d %r" % (body, status, answer))
    status, answer, _ = s.request("POST", "/v1/completions", raw=b"{not json")
    check(status == 400 and "not JSON" in json.loads(answer)["error"]["message"], "not JSON: %d %s" % (status, answer))
    status, answer, _ = s.post("/infill", {"input_prefix": PREFIX, "input_extra": [{"filename": 1}]})
    check(status == 400 and answer["error"]["param"] == "input_extra[0].filename", "input_extra: %r" % answer)
    # Unknown fields are ignored; settings-table keys set the request's decoding.
    status, answer, _ = s.post("/v1/completions", {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8,
                                                   "logprobs": None, "echo": False, "whatever": {"x": 1}})
    check(status == 200 and answer["choices"][0]["text"] == k.text, "unknown fields: %r" % answer)
    status, answer, _ = s.post("/v1/completions", {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8,
                                                   "alg": "random", "seed": 5})
    check(status == 200, "alg random: %r" % answer)
    check(answer["choices"][0]["text"] == cli_complete(k.binary, k.model, k.tmp, PREFIX, SUFFIX, 8,
                                                       ("--alg", "random", "--seed", "5"))["text"],
          "alg random, seed 5: the served middle is not the CLI's with the same settings")


def case_metrics(k):
    status, text = k.server.get("/metrics")
    check(status == 200, "/metrics %d" % status)
    ok = re.search(r'^infilld_requests_total\{endpoint="/v1/completions",outcome="ok"\} (\d+)$', text, re.M)
    bad = re.search(r'^infilld_requests_total\{endpoint="/v1/completions",outcome="bad_request"\} (\d+)$', text, re.M)
    fw = re.search(r"^infilld_forwards_total (\d+)$", text, re.M)
    count = re.search(r"^infilld_request_seconds_count (\d+)$", text, re.M)
    inf = re.search(r'^infilld_request_seconds_bucket\{le="\+Inf"\} (\d+)$', text, re.M)
    check(ok and int(ok.group(1)) >= 3 and bad and int(bad.group(1)) >= 11, "request counts:\n%s" % text)
    check(fw and int(fw.group(1)) > 0 and count and inf and count.group(1) == inf.group(1), "forwards/histogram:\n%s" % text)
    # The engine's batch sizes: every step counted once, in the bucket of its size; each
    # request's forwards are steps it took, so the sum over steps of their sizes (requests
    # per step) is at least the forwards of the requests answered (those cut short by a
    # stop sequence or a cancel took steps too).
    buckets = [int(n) for n in re.findall(r'^infilld_batch_size_bucket\{le="(?:\d+|\+Inf)"\} (\d+)$', text, re.M)]
    steps = re.search(r"^infilld_batch_size_count (\d+)$", text, re.M)
    stepped = re.search(r"^infilld_batch_size_sum (\d+)$", text, re.M)
    check(len(buckets) == 9 and buckets == sorted(buckets) and steps and int(steps.group(1)) == buckets[-1] > 0,
          "batch size histogram:\n%s" % text)
    check(stepped and int(stepped.group(1)) >= int(fw.group(1)),
          "requests per step summed %s, forwards %s" % (stepped and stepped.group(1), fw.group(1)))


def leaves_and_is_cancelled(s, stream):
    """A long request whose client leaves 0.3 s after sending it: the server counts one more
    cancelled request and gives its slot back (1,024 steps would take far longer than the
    wait for that)."""
    pattern = r'^infilld_requests_total\{endpoint="/v1/completions",outcome="cancelled"\} (\d+)$'

    def cancelled(text):
        m = re.search(pattern, text, re.M)
        return int(m.group(1)) if m else 0
    before = cancelled(s.get("/metrics")[1])
    body = json.dumps({"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 1024, "steps": 1024,
                       "stream": stream}).encode()
    conn = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    conn.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    time.sleep(0.3)
    conn.close()
    deadline = time.time() + 30
    while True:
        _, text = s.get("/metrics")
        if cancelled(text) == before + 1 and re.search(r"^infilld_requests_running 0$", text, re.M):
            return
        check(time.time() < deadline, "the request of a client that went away (stream %s) was not cancelled, "
              "or still holds its slot:\n%s" % (stream, text))
        time.sleep(0.1)


def case_disconnect_cancels(k):
    leaves_and_is_cancelled(k.server, stream=True)


def case_whole_answer_client_leaves(k):
    """A whole (non-streamed) answer's client that leaves before it is ready cancels its work
    too, instead of running it to its end."""
    leaves_and_is_cancelled(k.server, stream=False)


def case_concurrent_clients(k):
    """Eight clients at once (the engine batches them): each answered once, with the text
    it gets alone."""
    s = k.server
    prompts = [("def f%d(x):\n    return " % i, "\n\nprint(f%d(2))\n" % i) for i in range(8)]
    alone = []
    for p, sfx in prompts:
        status, body, _ = s.post("/v1/completions", {"prompt": p, "suffix": sfx, "max_tokens": 8})
        check(status == 200, "alone: %d %r" % (status, body))
        alone.append(body["choices"][0]["text"])
    results = [None] * len(prompts)

    def ask(i):
        p, sfx = prompts[i]
        results[i] = s.post("/v1/completions", {"prompt": p, "suffix": sfx, "max_tokens": 8})
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, r in enumerate(results):
        check(r is not None and r[0] == 200, "client %d: %r" % (i, r and r[:2]))
        check(r[1]["choices"][0]["text"] == alone[i], "client %d: %r together, %r alone" %
              (i, r[1]["choices"][0]["text"], alone[i]))


def case_disconnect_storm(k):
    """Thirty clients that send a streamed request and go away at once, half of them
    mid-body: the server cancels what started, stays up, and answers the next client."""
    s = k.server
    answered = lambda text: sum(int(n) for n in re.findall(  # noqa: E731
        r'^infilld_requests_total\{endpoint="/v1/completions",outcome="\w+"\} (\d+)$', text, re.M))
    before = answered(s.get("/metrics")[1])
    body = json.dumps({"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 64, "stream": True}).encode()
    head = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Content-Length: %d\r\n\r\n" % len(body)
    for i in range(30):
        conn = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        conn.sendall(head + (body if i % 2 == 0 else body[:len(body) // 2]))
        conn.close()
    deadline = time.time() + 60
    while True:
        _, text = s.get("/metrics")
        running = re.search(r"^infilld_requests_running (\d+)$", text, re.M)
        waiting = re.search(r"^infilld_requests_waiting (\d+)$", text, re.M)
        # The 15 whole requests each ended (cancelled, or done before the server saw the
        # client go), none holds a slot; the 15 cut bodies never became requests.
        if answered(text) - before >= 15 and running and waiting and running.group(1) == "0" and \
                waiting.group(1) == "0":
            break
        check(time.time() < deadline, "the requests of clients that left were not all ended a minute "
              "later (%d of 15):\n%s" % (answered(text) - before, text))
        time.sleep(0.1)
    status, body, _ = s.post("/v1/completions", {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8})
    check(status == 200 and body["choices"][0]["text"] == k.text, "after the storm: %d %r" % (status, body))


def cli_remote(k, url, kind, extra=(), env=None):
    p, sfx = os.path.join(k.tmp, "prefix.txt"), os.path.join(k.tmp, "suffix.txt")
    with open(p, "w") as f:
        f.write(PREFIX)
    with open(sfx, "w") as f:
        f.write(SUFFIX)
    return subprocess.run([k.binary, "complete", "--prefix-file", p, "--suffix-file", sfx, "--model", k.model, "--raw",
                           "--json", "--max-tokens", "8", "--backend", url, "--backend-kind", kind, *extra],
                          capture_output=True, text=True, timeout=120, env=env)


def case_remote_backends(k):
    """`infilld complete --backend` through each wire protocol infilld serve speaks: the
    same middle as the model run here."""
    base = "http://127.0.0.1:%d" % k.server.port
    for kind, url in (("infilld", base), ("openai", base + "/v1"), ("fim", base + "/v1"), ("llamacpp", base)):
        out = cli_remote(k, url, kind)
        check(out.returncode == 0, "--backend-kind %s: %s" % (kind, out.stderr))
        got = json.loads(out.stdout)
        check(got["text"] == k.text and got["device"] == "remote: %s %s" % (kind, url),
              "--backend-kind %s: %r, here %r" % (kind, got, k.text))
    out = cli_remote(k, "http://127.0.0.1:1", "infilld")
    check(out.returncode == 2 and "Couldn't connect" in out.stderr, "no server: %r" % out.stderr)


def serve_in_background(handler):
    """An HTTP server for a stand-in's handler on a free loopback port, quiet, on a daemon
    thread. Returns (server, its base URL)."""
    import http.server
    handler.log_message = lambda self, *args: None
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


class OllamaStandIn:
    """A recording stand-in for Ollama's /api/generate (no Ollama here): it keeps the
    request and streams NDJSON the way Ollama does."""

    def __init__(self):
        import http.server
        stand_in = self
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.requests.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for line in ({"model": "m", "response": "a + ", "done": False},
                             {"model": "m", "response": "b", "done": False},
                             {"model": "m", "response": "", "done": True, "done_reason": "stop"}):
                    self.wfile.write((json.dumps(line) + "\n").encode())
                    self.wfile.flush()

        self.server, self.url = serve_in_background(Handler)


def case_remote_ollama_and_keys(k):
    ollama = OllamaStandIn()
    try:
        out = cli_remote(k, ollama.url, "ollama", ("--backend-model", "qwen2.5-coder:1.5b"))
    finally:
        ollama.server.shutdown()
    check(out.returncode == 0, "ollama: %s" % out.stderr)
    got = json.loads(out.stdout)
    check(got["text"] == "a + b" and got["finish_reason"] == "stop", "ollama stream read as %r" % got)
    path, _, req = ollama.requests[0]
    check(path == "/api/generate" and req["model"] == "qwen2.5-coder:1.5b" and req["prompt"] == PREFIX and
          req["suffix"] == SUFFIX and req["stream"] is True and req["options"]["num_predict"] == 8,
          "the request Ollama got: %s %r" % (path, req))
    # A server that wants a key: from the environment variable, and refused with the server's message.
    key_file = os.path.join(k.tmp, "remote-key")
    with open(key_file, "w") as f:
        f.write("remote-secret\n")
    s = Served(k.binary, k.model, ["--api-key-file", key_file])
    try:
        url = "http://127.0.0.1:%d" % s.port
        out = cli_remote(k, url, "infilld", ("--backend-key-env", "INFILLD_TEST_KEY"),
                         dict(os.environ, INFILLD_TEST_KEY="remote-secret"))
        check(out.returncode == 0 and json.loads(out.stdout)["text"] == k.text, "with the key: %s" % out.stderr)
        out = cli_remote(k, url, "infilld", ("--backend-key-env", "INFILLD_TEST_KEY"),
                         dict(os.environ, INFILLD_TEST_KEY="wrong"))
        check(out.returncode == 2 and "HTTP 401" in out.stderr and "API key" in out.stderr,
              "a wrong key: %r" % out.stderr)
        env = dict(os.environ)
        env.pop("INFILLD_TEST_KEY", None)
        out = cli_remote(k, url, "infilld", ("--backend-key-env", "INFILLD_TEST_KEY"), env)
        check(out.returncode == 2 and "INFILLD_TEST_KEY is not set" in out.stderr, "no key set: %r" % out.stderr)
    finally:
        s.stop()


class ProxyStandIn:
    """A forward HTTP proxy stand-in (named so: a corporate proxy is not here): it takes
    requests in the absolute form a client sends a proxy, records them and passes them on."""

    def __init__(self):
        import http.server
        stand_in = self
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.seen.append(self.path)
                target = urllib.parse.urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                upstream.request("POST", target.path, body, {k: v for k, v in self.headers.items()
                                                             if k.lower() not in ("proxy-connection", "host")})
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.getheader("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server, self.url = serve_in_background(Handler)


def case_remote_through_a_proxy(k):
    """The remote backend honours the proxy environment (libcurl's http_proxy, no_proxy)."""
    proxy = ProxyStandIn()
    base = "http://127.0.0.1:%d" % k.server.port
    try:
        env = {key: v for key, v in os.environ.items() if key.lower() not in ("no_proxy", "http_proxy", "all_proxy")}
        out = cli_remote(k, base, "infilld", env=dict(env, http_proxy=proxy.url))
        check(out.returncode == 0 and json.loads(out.stdout)["text"] == k.text, "through the proxy: %s" % out.stderr)
        check(proxy.seen == [base + "/v1/completions"], "the proxy saw %r" % proxy.seen)
        out = cli_remote(k, base, "infilld", env=dict(env, http_proxy=proxy.url, no_proxy="127.0.0.1"))
        check(out.returncode == 0 and len(proxy.seen) == 1, "no_proxy: the proxy saw %r" % proxy.seen)
    finally:
        proxy.server.shutdown()


def case_api_key_and_limits(k):
    key_file = os.path.join(k.tmp, "key")
    with open(key_file, "w") as f:
        f.write("s3cret-key\n")
    s = Served(k.binary, k.model, ["--api-key-file", key_file, "--parallel", "1", "--max-queue", "0",
                                    "--max-body-bytes", "2048"])
    try:
        req = {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8}
        status, body, hdrs = s.post("/v1/completions", req)
        check(status == 401 and hdrs.get("WWW-Authenticate") == "Bearer", "no key: %d %r" % (status, body))
        status, _, _ = s.post("/v1/completions", req, {"Authorization": "Bearer s3cret-kez"})
        check(status == 401, "a wrong key: %d" % status)
        status, body, _ = s.post("/v1/completions", req, {"Authorization": "Bearer s3cret-key"})
        check(status == 200 and body["choices"][0]["text"] == k.text, "the key: %d %r" % (status, body))
        check(s.get("/health")[0] == 200, "/health needs no key")
        check(s.get("/metrics")[0] == 401 and s.get("/v1/models")[0] == 401, "/metrics and /v1/models need the key")
        auth = {"Authorization": "Bearer s3cret-key"}
        status, body, _ = s.post("/v1/completions", {"prompt": "x" * 4096}, auth)
        check(status == 413 and "larger" in body["error"]["message"], "a 4 KB body over 2048: %d %r" % (status, body))
        # One slot, no queue: a streamed request that is not read holds the slot; a second
        # request gets 429 with Retry-After; closing the first gives the slot back.
        long = json.dumps({"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 1024, "steps": 1024,
                           "stream": True}).encode()
        held = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        held.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-key\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(long), long))
        try:
            deadline = time.time() + 30
            while True:  # until the long request is in the engine
                _, text = s.get("/metrics", auth)
                if re.search(r"^infilld_requests_running 1$", text, re.M):
                    break
                check(time.time() < deadline, "the held request never ran:\n%s" % text)
                time.sleep(0.02)
            status, body, hdrs = s.post("/v1/completions", req, auth)
            check(status == 429 and hdrs.get("Retry-After") == "1", "a request beyond the queue: %d %r" %
                  (status, body))
        finally:
            held.close()
        deadline = time.time() + 30
        while True:  # the slot comes back once the held client is gone
            status, body, _ = s.post("/v1/completions", req, auth)
            if status == 200:
                break
            check(status == 429 and time.time() < deadline, "after the held client left: %d %r" % (status, body))
            time.sleep(0.1)
    finally:
        code = s.stop()
    log = s.first_line + "".join(s.rest)
    check("s3cret" not in log, "the key appears in the server's log: %r" % log)
    check(code == 0, "SIGTERM: exit %r" % code)


CASES = [case_health_models, case_openai_matches_cli, case_streams, case_stop_sequences, case_bad_requests,
         case_metrics, case_disconnect_cancels, case_whole_answer_client_leaves, case_concurrent_clients,
         case_disconnect_storm, case_remote_backends, case_remote_through_a_proxy, case_remote_ollama_and_keys,
         case_api_key_and_limits]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--workdir")
    ap.add_argument("--only")
    a = ap.parse_args()
    tmp = a.workdir or tempfile.mkdtemp(prefix="infilld-serve-")
    os.makedirs(tmp, exist_ok=True)
    model = os.path.join(tmp, "tiny-serve")
    write_checkpoint(model, "dream", dtype="bf16", seed=3, printable=True)

    class K:
        pass
    k = K()
    k.binary, k.model, k.tmp, k.text = os.path.abspath(a.infilld), model, tmp, ""
    k.server = Served(k.binary, model)
    failed = 0
    only = set(a.only.split(",")) if a.only else None
    try:
        for case in CASES:
            name = case.__name__[len("case_"):]
            if only and name not in only:
                continue
            t0 = time.time()
            try:
                case(k)
                print("ok %s (%.1f s)" % (name, time.time() - t0))
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
    finally:
        code = k.server.stop()
    if code != 0:
        failed += 1
        print("FAIL the server exited %r on SIGTERM" % code)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
