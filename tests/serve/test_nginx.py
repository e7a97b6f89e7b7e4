#!/usr/bin/env python3
"""docs/serve.md's TLS reverse proxy, run as it is written: nginx with
examples/nginx/infilld-tls.conf (only its port, upstream port and certificate paths
replaced) in front of a real `infilld serve`, with a self-signed certificate made here by
openssl. Through it: /health; a completion equal to the one infilld serve gives directly,
whole and streamed; the API key passed on; a streaming client that leaves cancels the
engine work behind the proxy; and `infilld complete --backend https://...` trusting the
certificate only with `--backend-ca-file`.

    test_nginx.py --infilld PATH [--workdir DIR]

Without nginx or openssl it prints `skipped: why` (a failure with INFILLD_REQUIRE_ALL=1).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from test_serve import PREFIX, SUFFIX, Failure, Served, check  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tools"))
from tiny_checkpoint import write_checkpoint  # noqa: E402

EXAMPLE = os.path.join(REPO, "examples", "nginx", "infilld-tls.conf")
KEY = "team-key-for-the-proxy-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certificate(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def nginx_conf(tmp, port, upstream, cert, key):
    """The example with this test's port, upstream and certificate, inside a minimal
    nginx.conf of its own (its pid, logs and temporary files under `tmp`)."""
    example = open(EXAMPLE).read()
    for old, new in (("127.0.0.1:8080", "127.0.0.1:%d" % upstream), ("listen 443 ssl", "listen 127.0.0.1:%d ssl" % port),
                     ("/etc/ssl/infilld/cert.pem", cert), ("/etc/ssl/infilld/key.pem", key)):
        check(old in example, "the example no longer has %r: update this test with it" % old)
        example = example.replace(old, new)
    with open(os.path.join(tmp, "infilld-tls.conf"), "w") as f:
        f.write(example)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the workers read the test's files
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(user + "worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
                "events { worker_connections 64; }\n"
                "http {\n  access_log off;\n  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
                "  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n  scgi_temp_path %s/scgi;\n"
                "  include %s/infilld-tls.conf;\n}\n" % ((tmp,) * 8))
    return conf


class Proxy:
    def __init__(self, nginx, tmp, conf, port):
        self.tmp, self.port = tmp, port
        test = subprocess.run([nginx, "-t", "-p", tmp, "-c", conf], capture_output=True, text=True)
        check(test.returncode == 0, "nginx -t refused the example:\n%s" % test.stderr)
        self.proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                check(self.proc.poll() is None and time.time() < deadline,
                      "nginx did not start: %s" % self.errors())
                time.sleep(0.05)

    def errors(self):
        path = os.path.join(self.tmp, "error.log")
        return open(path).read()[-2000:] if os.path.exists(path) else ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def https(port, cert, method, path, body=None, key=KEY):
    ctx = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read().decode()
    conn.close()
    return r.status, data, dict(r.getheaders())


def completion(status, text):
    check(status == 200, "HTTP %d: %s" % (status, text[:300]))
    return json.loads(text)["choices"][0]["text"]


def run(a, tmp):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None or shutil.which("openssl") is None:
        return "nginx or openssl not installed (scripts/install_deps.sh installs nginx-light)"
    binary = os.path.abspath(a.infilld)
    model = os.path.join(tmp, "tiny")
    write_checkpoint(model, "dream", dtype="bf16", seed=3, printable=True)
    key_file = os.path.join(tmp, "api-key")
    with open(key_file, "w") as f:
        f.write(KEY + "\n")
    server = Served(binary, model, ["--api-key-file", key_file])
    try:
        cert, key = certificate(tmp)
        port = free_port()
        proxy = Proxy(nginx, tmp, nginx_conf(tmp, port, server.port, cert, key), port)
    except BaseException:
        server.stop()
        raise
    try:
        return cases(server, proxy, binary, model, cert, port, tmp)
    finally:
        proxy.stop()
        server.stop()


def cases(server, proxy, binary, model, cert, port, tmp):
    failed = 0

    def case(name, fn):
        nonlocal failed
        try:
            fn()
            print("ok %s" % name)
        except (Failure, OSError, ssl.SSLError, ValueError, KeyError) as e:
            failed += 1
            print("FAIL %s: %s\n  nginx: %s" % (name, e, proxy.errors()))

    body = {"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 8}
    status, answer, _ = server.post("/v1/completions", body, {"Authorization": "Bearer " + KEY})
    check(status == 200, "directly: HTTP %d %r" % (status, answer))
    direct = answer["choices"][0]["text"]

    def health():
        status, text, _ = https(port, cert, "GET", "/health")
        check(status == 200 and json.loads(text) == {"status": "ok"}, "/health through nginx: %d %s" % (status, text))

    def whole_and_streamed():
        status, text, _ = https(port, cert, "POST", "/v1/completions", body)
        check(completion(status, text) == direct, "through nginx %r, directly %r" % (text, direct))
        status, text, headers = https(port, cert, "POST", "/v1/completions", dict(body, stream=True))
        check(status == 200 and headers.get("Content-Type", "").startswith("text/event-stream"),
              "stream: %d %r" % (status, headers))
        events = [b[len("data: "):] for b in text.split("\n\n") if b.strip()]
        check(events and events[-1] == "[DONE]", "the stream did not end with [DONE]: %r" % text[-200:])
        streamed = "".join(json.loads(e)["choices"][0]["text"] for e in events[:-1])
        check(streamed == direct, "streamed through nginx %r, directly %r" % (streamed, direct))

    def key_passed_on():
        status, text, headers = https(port, cert, "POST", "/v1/completions", body, key="wrong")
        check(status == 401 and "API key" in text, "a wrong key through nginx: %d %s" % (status, text))

    def leaving_client_cancels():
        ctx = ssl.create_default_context(cafile=cert)
        raw = json.dumps({"prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 1024, "steps": 1024,
                          "stream": True}).encode()
        conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="127.0.0.1")
        conn.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(raw) + raw)
        check(b"text/event-stream" in conn.recv(4096), "no stream began")
        conn.close()
        deadline = time.time() + 60
        while True:
            _, text = server.get("/metrics", {"Authorization": "Bearer " + KEY})
            if re.search(r'^infilld_requests_total\{endpoint="/v1/completions",outcome="cancelled"\} 1$', text, re.M) \
                    and re.search(r"^infilld_requests_running 0$", text, re.M):
                return
            check(time.time() < deadline, "the request of a client that left nginx was not cancelled:\n%s"
                  % "\n".join(l for l in text.splitlines() if "requests" in l))
            time.sleep(0.1)

    def remote_backend_trusts_the_ca_file():
        p, s = os.path.join(tmp, "prefix.txt"), os.path.join(tmp, "suffix.txt")
        with open(p, "w") as f:
            f.write(PREFIX)
        with open(s, "w") as f:
            f.write(SUFFIX)
        argv = [binary, "complete", "--prefix-file", p, "--suffix-file", s, "--model", model, "--raw", "--json",
                "--max-tokens", "8", "--backend", "https://127.0.0.1:%d" % port, "--backend-key-env", "INFILLD_PROXY_KEY"]
        env = dict(os.environ, INFILLD_PROXY_KEY=KEY)
        out = subprocess.run(argv + ["--backend-ca-file", cert], capture_output=True, text=True, timeout=120, env=env)
        check(out.returncode == 0 and json.loads(out.stdout)["text"] == direct,
              "--backend https with --backend-ca-file: %s %s" % (out.stdout, out.stderr))
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
        check(out.returncode == 2 and "certificate" in out.stderr.lower(),
              "a self-signed certificate without --backend-ca-file: %r" % out.stderr)

    for name, fn in (("health", health), ("whole and streamed", whole_and_streamed),
                     ("key passed on", key_passed_on), ("leaving client cancels", leaving_client_cancels),
                     ("remote backend trusts the CA file", remote_backend_trusts_the_ca_file)):
        case(name, fn)
    print("%d failed" % failed)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    tmp = a.workdir or tempfile.mkdtemp(prefix="infilld-nginx-")
    os.makedirs(tmp, exist_ok=True)
    try:
        result = run(a, tmp)
    finally:
        if not a.workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    if isinstance(result, str):
        if os.environ.get("INFILLD_REQUIRE_ALL") == "1":
            print("FAIL: cannot run: %s" % result)
            return 1
        print("skipped: %s" % result)
        return 0
    return result


if __name__ == "__main__":
    sys.exit(main())
