#!/usr/bin/env python3
"""`infilld serve` under 1, 2, 4, 8 and 16 concurrent clients: throughput and latency with
the engine's continuous batching (`--parallel 16`: the worker stacks up to 8 requests'
forwards in one pass) against one request at a time (`--parallel 1`), side by side in one
run, as a ratio. And the remote-backend overhead of the language server: the same
completion requests through `infilld lsp` with the model loaded there, and through
`infilld lsp` with `backend: {kind: "infilld"}` against `infilld serve` on this machine.

Each client sends its requests one after another (POST /v1/completions, FIM with a prompt
and a suffix cut from the repository's Python files, `max_tokens` fixed); rounds alternate
the two servers so that a noisy machine hurts both alike. Figures: completions per second,
p50/p95 latency per request, and the engine's mean batch size from /metrics.

    bench/serve.py --infilld build/infilld [--model models/default] [--clients 1,2,4,8,16]
                   [--requests 4] [--max-tokens 16] [--rounds 2] [--quantize none|q8]
                   [--context-lines 30,20] [--lsp-requests 20] [--out bench/results/serve_default.json]
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tools"))
from lsp_client import LspClient  # noqa: E402
sys.path.insert(0, HERE)
from main_job import cpu_flags, cpu_model, write_record  # noqa: E402


def machine():
    return {"cpu": cpu_model(), "cpu_flags": cpu_flags(), "cores": os.cpu_count(), "platform": platform.platform()}


def prompts(n, before=30, after=20):
    """FIM prompts: `before` lines and a line's first half, its second half and `after`
    lines, cut from the repository's Python files."""
    out = []
    for root in ("tools", "bench", "tests/serve"):
        for name in sorted(os.listdir(os.path.join(REPO, root))):
            if not name.endswith(".py"):
                continue
            text = open(os.path.join(REPO, root, name)).read()
            lines = text.split("\n")
            for i in range(20, len(lines) - 20, 37):
                line = lines[i]
                if len(line.strip()) < 12:
                    continue
                cut = len(line) // 2
                prefix = "\n".join(lines[max(0, i - before):i] + [line[:cut]])
                suffix = "\n".join([line[cut:]] + lines[i + 1:i + 1 + after])
                out.append((prefix, suffix))
                if len(out) == n:
                    return out
    return out


class Server:
    def __init__(self, binary, model, parallel, quantize):
        argv = [binary, "serve", "--port", "0", "--model", model, "--parallel", str(parallel),
                "--max-queue", "64", "--quantize", quantize]
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", self.proc.stderr.readline())
        if not m:
            raise SystemExit("infilld serve did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self.url = "http://127.0.0.1:%s" % m.group(1)
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except Exception:
                time.sleep(0.1)

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def complete(url, prefix, suffix, max_tokens):
    body = json.dumps({"model": "infilld", "prompt": prefix, "suffix": suffix, "max_tokens": max_tokens,
                       "temperature": 0}).encode()
    req = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=600) as r:
        json.loads(r.read())
    return (time.monotonic() - t0) * 1000.0


def load(server, work, clients, requests, max_tokens):
    """`clients` threads, each sending `requests` completions in turn: (latencies, wall s)."""
    latencies, lock = [], threading.Lock()

    def client(c):
        for j in range(requests):
            prefix, suffix = work[(c * requests + j) % len(work)]
            ms = complete(server.url, prefix, suffix, max_tokens)
            with lock:
                latencies.append(ms)
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.monotonic() - t0


def batch_sizes(before, after):
    """Mean requests per denoising step (infilld_batch_size in /metrics) between two reads."""
    steps = after["infilld_batch_size_count"] - before["infilld_batch_size_count"]
    requests = after["infilld_batch_size_sum"] - before["infilld_batch_size_sum"]
    return requests / steps if steps else None


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def lsp_overhead(binary, model, url, n, max_tokens):
    """Median inlineCompletion latency through `infilld lsp`: model here vs via `url`."""
    text = open(os.path.join(REPO, "examples", "primes.py")).read()
    lines = text.split("\n")
    out = {}
    for name, backend in (("local", None), ("via infilld serve", {"kind": "infilld", "url": url})):
        options = {"maxTokens": max_tokens, "cacheSize": 0, "speculative": False, "debounceMs": 0}
        if backend:
            options["backend"] = backend
        c = LspClient([binary, "lsp", "--model", model])
        c.call("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                              "initializationOptions": options}, timeout=60)
        c.notify("initialized", {})
        uri = "file:///bench/primes.py"
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                           "text": text}})
        ms = []
        for i in range(n):
            row = 3 + (i * 5) % (len(lines) - 4)
            pos = {"line": row, "character": len(lines[row]) // 2}
            t0 = time.monotonic()
            c.call("textDocument/inlineCompletion", {"textDocument": {"uri": uri}, "position": pos,
                                                     "context": {"triggerKind": 1}}, timeout=120)
            ms.append((time.monotonic() - t0) * 1000.0)
        c.call("shutdown", timeout=30)
        c.notify("exit")
        c.wait_exit(10)
        out[name] = {"p50_ms": round(statistics.median(ms[1:]), 1), "requests": n}
    out["ratio_remote_to_local_p50"] = round(out["via infilld serve"]["p50_ms"] / out["local"]["p50_ms"], 3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "default"))
    ap.add_argument("--clients", default="1,2,4,8,16")
    ap.add_argument("--requests", type=int, default=4, help="per client")
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quantize", default="none")
    ap.add_argument("--lsp-requests", type=int, default=20, help="0: no language-server comparison")
    ap.add_argument("--context-lines", default="30,20", help="lines before and after the cut line")
    ap.add_argument("--out")
    a = ap.parse_args()
    clients = [int(c) for c in a.clients.split(",")]
    before, after = (int(x) for x in a.context_lines.split(","))
    work = prompts(max(clients) * a.requests, before, after)
    servers = {"batched": Server(a.infilld, a.model, 16, a.quantize),
               "one at a time": Server(a.infilld, a.model, 1, a.quantize)}
    rows = []
    try:
        for n in clients:
            row = {"clients": n}
            for mode, server in servers.items():
                lat, walls, sizes = [], [], []
                for _ in range(a.rounds):
                    before = server.metrics()
                    ms, wall = load(server, work, n, a.requests, a.max_tokens)
                    lat += ms
                    walls.append(wall)
                    sizes.append(batch_sizes(before, server.metrics()))
                done = n * a.requests * a.rounds
                row[mode] = {"completions_per_s": round(done / sum(walls), 3),
                             "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(percentile(lat, 0.95), 1),
                             "mean_batch": round(statistics.mean(s for s in sizes if s), 2) if any(sizes) else None}
            row["throughput_ratio_batched"] = round(row["batched"]["completions_per_s"] /
                                                    row["one at a time"]["completions_per_s"], 3)
            rows.append(row)
            print(json.dumps(row), flush=True)
        overhead = None
        if a.lsp_requests > 0:
            overhead = lsp_overhead(a.infilld, a.model, servers["batched"].url, a.lsp_requests, a.max_tokens)
            print(json.dumps({"lsp": overhead}), flush=True)
    finally:
        for s in servers.values():
            s.stop()
    record = {"machine": machine(), "model": os.path.relpath(os.path.abspath(a.model), REPO),
              "quantize": a.quantize, "max_tokens": a.max_tokens, "context_lines": a.context_lines, "requests_per_client": a.requests,
              "rounds": a.rounds, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "rows": rows, "lsp_remote_overhead": overhead}
    if a.out:
        write_record(a.out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
