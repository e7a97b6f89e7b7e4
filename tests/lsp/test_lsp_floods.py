#!/usr/bin/env python3
"""Floods, a client that stops reading, and a 20 MB document, against the real server
(docs/lsp.md, "Floods and slow clients"). See transcript_harness.py.

- flood: 10,000 didChange notifications (random incremental edits, non-BMP text, UTF-16
  positions) and 1,000 inline completion requests written in one burst: every request is
  answered exactly once (the superseded ones with RequestCancelled or ContentModified),
  the server's text equals the client's after the burst (infilld/test/documentText, a
  request only `--test-requests` turns on), and the server's peak memory grows by less
  than 64 MB over the burst.
- stopped_reader: the client stops reading while it sends 40,000 requests and 200,000
  notifications that each make the server log a line: the server's outgoing queue stays
  bounded (notifications dropped oldest first and counted, reading paused while replies
  wait), its peak memory grows by less than 32 MB (it would hold about 70 MB of output
  otherwise), and once the client reads again every request is answered exactly once.
- large_document: a 20 MB Python document with the default settings opens, takes 100
  single-character edits and is completed (from the text around the cursor: no whole-file
  syntax tree above 2 MiB); its peak memory stays under 8 times the document's size.

Figures (seconds, memory) are printed as notes; no check reads a clock (the stopped reader
uses one only to decide when to read again). Peaks are measured from a reset of the
server's VmHWM (/proc/PID/clear_refs) just before each burst. Under a sanitizer
(INFILLD_SANITIZED=1, set by CMake for such a build) the memory bounds are not checked:
shadow memory and the quarantine of freed blocks make a peak meaningless there.

    test_lsp_floods.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
                       [--timeout SECONDS_PER_CASE] [--verbose]
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402
from lsp_client import frame  # noqa: E402

PY_SOURCE = ("def mean(values):\n"
             "    # the average of 😀 values, ünïcode and 𝄞 included\n"
             "    total = 0\n"
             "    for v in values:\n"
             "        total += v\n"
             "    return total / len(values)\n")
PIECES = ["x", " ", "\n", "😀", "é", "𝄞", "total", "(", ")", "    ", "# ☕", ""]


def document_text(c, uri):
    rid = c.request("infilld/test/documentText", {"uri": uri})
    return expect_result(c.wait_response(rid, 60), rid, "infilld/test/documentText")


def random_edit(rng, text):
    """A random incremental edit of `text` (a replaced range of up to 8 characters, never
    splitting a surrogate pair since Python indexes code points): (lsp change, new text)."""
    start = rng.randrange(len(text) + 1)
    end = min(len(text), start + rng.choice([0, 0, 1, 2, 8]))
    new = rng.choice(PIECES) * rng.choice([1, 1, 2])
    change = edit(position(text, start), position(text, end), new)
    return change, text[:start] + new + text[end:]


def mb(kb):
    return kb / 1024.0


def memory_checked(base, peak):
    """Whether the memory bounds apply: /proc readable and the binary not sanitized."""
    return base is not None and peak is not None and os.environ.get("INFILLD_SANITIZED") != "1"


def case_flood(k):
    c = k.start(extra=["--test-requests"])
    initialize(c, options=dict(FAST, speculative=False))
    wait_ready(c)
    uri = k.uri("flood.py")
    text = PY_SOURCE
    open_doc(c, uri, text, language="python")
    document_text(c, uri)  # the document is open before the burst
    c.reset_peak_memory()
    base = c.memory_kb("VmRSS")
    rng = random.Random(15)
    batch, request_ids, version = [], [], 1
    for i in range(10000):
        change_, text = random_edit(rng, text)
        version += 1
        batch.append({"jsonrpc": "2.0", "method": "textDocument/didChange",
                      "params": {"textDocument": {"uri": uri, "version": version},
                                 "contentChanges": [change_]}})
        if i % 10 == 9:
            rid = c.new_id()
            request_ids.append(rid)
            at = position(text, rng.randrange(len(text) + 1))
            batch.append({"jsonrpc": "2.0", "id": rid, "method": "textDocument/inlineCompletion",
                          "params": {"textDocument": {"uri": uri}, "position": at,
                                     "context": {"triggerKind": rng.choice([1, 2])}}})
    t0 = time.monotonic()
    c.send_batch(batch)
    last = request_ids[-1]
    c.wait_response(last, 120)
    seconds = time.monotonic() - t0
    server = document_text(c, uri)
    check(server["version"] == version, "server at version %r, the client at %d" % (server["version"], version))
    check(server["text"] == text, "the server's text differs from the client's after the burst "
          "(first difference at %d)" % next((i for i, (a, b) in enumerate(zip(server["text"], text)) if a != b),
                                           min(len(text), len(server["text"]))))
    outcomes, by_id = {}, {}
    for r in c.responses():
        by_id.setdefault(r.get("id"), []).append(r)
    for rid in request_ids:
        replies = by_id.get(rid, [])
        check(len(replies) == 1, "request %r answered %d times" % (rid, len(replies)))
        r = replies[0]
        key = "result" if "result" in r else r["error"]["code"]
        check(key in ("result", CANCELLED, CONTENT_MODIFIED),
              "request %r: unexpected reply %r" % (rid, r))
        outcomes[key] = outcomes.get(key, 0) + 1
    # In order: the last request, made after the last edit, is the one that is answered.
    check("result" in c.responses(last)[0], "the last request was not answered with a result: %r"
          % c.responses(last)[0])
    peak = c.memory_kb("VmHWM")
    s = stats(c)
    k.note("10,000 didChange + 1,000 requests (%d KB in one write) handled in %.2f s; replies %s; "
           "stats superseded %d, contentModified %d; RSS %.0f MB before, peak %.0f MB"
           % (sum(len(json.dumps(m)) for m in batch) // 1024, seconds, outcomes, s["superseded"],
              s["contentModified"], mb(base or 0), mb(peak or 0)))
    if memory_checked(base, peak):
        check(peak - base < 64 * 1024, "peak memory grew by %.0f MB over the burst" % mb(peak - base))
    finish(c)


def case_stopped_reader(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False))
    wait_ready(c)
    stats(c)
    c.reset_peak_memory()
    base = c.memory_kb("VmRSS")
    c.pause_reading()
    # Each invalid didChange makes the server log a line (window/logMessage, ~150 bytes):
    # 200,000 of them would be ~30 MB of notifications; the 40,000 stats replies ~28 MB.
    bad = frame({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {}}})
    ids = []

    def write():
        for _ in range(40000):
            rid = c.new_id()
            ids.append(rid)
            c.send_raw(frame({"jsonrpc": "2.0", "id": rid, "method": "infilld/stats"}) + bad * 5)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    # Not reading while the writer runs, until it ends (the server took everything in) or
    # makes no progress for 3 s (the server stopped reading: the pipe is full). The clock
    # only decides when the client stops stalling; the checks below hold either way.
    progress, still = -1, 0
    while writer.is_alive() and still < 3 and len(ids) < 40000:
        writer.join(1)
        still = still + 1 if len(ids) == progress else 0
        progress = len(ids)
    stalled = writer.is_alive()
    c.resume_reading()
    writer.join(300)
    check(not writer.is_alive(), "the writer never finished")
    s = stats(c, timeout=120)
    answers = {}
    for r in c.responses():
        answers[r.get("id")] = answers.get(r.get("id"), 0) + 1
    for rid in ids:
        check(answers.get(rid, 0) == 1, "request %r answered %d times" % (rid, answers.get(rid, 0)))
    peak = c.memory_kb("VmHWM")
    out = s.get("outgoing")
    check(isinstance(out, dict) and {"queuedBytes", "droppedNotifications", "readPauses"} <= set(out),
          "stats outgoing %r" % (out,))
    k.note("client stalled while writing: %s; dropped notifications %d, read pauses %d; RSS %.0f MB "
           "before, peak %.0f MB" % (stalled, out["droppedNotifications"], out["readPauses"], mb(base or 0),
                                     mb(peak or 0)))
    check(out["readPauses"] >= 1, "the server never paused reading while 28 MB of replies waited")
    check(out["droppedNotifications"] > 0, "no notification was dropped while the client did not read")
    if memory_checked(base, peak):
        check(peak - base < 32 * 1024, "peak memory grew by %.0f MB while the client did not read"
              % mb(peak - base))
    finish(c, raw_ids=ids)


def big_python(size):
    parts, n = [], 0
    i = 0
    while n < size:
        block = ("def function_%d(values, scale=%d):\n"
                 "    \"\"\"Scales the values (😀 %d).\"\"\"\n"
                 "    result = []\n"
                 "    for v in values:\n"
                 "        result.append(v * scale + %d)\n"
                 "    return result\n\n\n" % (i, i % 7 + 1, i, i % 11))
        parts.append(block)
        n += len(block.encode("utf-8"))
        i += 1
    return "".join(parts)


def case_large_document(k):
    """A 20 MB document with the default settings: opened, 100 single-character edits,
    completed from the text around the cursor (a forward runs); the server's copy equals
    the client's; peak memory under 8 times the document's size."""
    size = 20 << 20
    c = k.start(extra=["--test-requests"])
    initialize(c, options=dict(FAST, speculative=False))
    wait_ready(c)
    c.reset_peak_memory()
    base = c.memory_kb("VmRSS")
    uri = k.uri("large.py")
    text = big_python(size)
    t0 = time.monotonic()
    open_doc(c, uri, text, language="python")
    stats(c)  # answered once the document is open
    opened = time.monotonic() - t0
    peak_open = c.memory_kb("VmHWM")
    # Typing 100 characters into the middle, one didChange each, then asking there.
    at = text.index("def function_%d(" % 40000)
    pos = position(text, at)
    changes = []
    for i in range(100):
        changes.append({"jsonrpc": "2.0", "method": "textDocument/didChange",
                        "params": {"textDocument": {"uri": uri, "version": 2 + i},
                                   "contentChanges": [edit(pos, pos, "x")]}})
        pos = {"line": pos["line"], "character": pos["character"] + 1}
    text = text[:at] + "x" * 100 + text[at:]
    t0 = time.monotonic()
    c.send_batch(changes)
    s1 = stats(c, timeout=120)  # answered after the 100 edits
    edited = time.monotonic() - t0
    t0 = time.monotonic()
    items = complete(c, uri, pos, "the 20 MB document", timeout=120, allow_empty=True)
    completed = time.monotonic() - t0
    s2 = stats(c)
    check(delta(s2, s1, "forwards") > 0, "the 20 MB document was not completed (no forward ran)")
    peak = c.memory_kb("VmHWM")  # before the test-only request below copies the text into a reply
    server = document_text(c, uri)
    check(server["text"] == text, "the server's text differs from the client's after the edits")
    k.note("%d MB document: open %.2f s (peak %.0f MB); 100 edits %.3f s (%.2f ms each, with a stats request); "
           "completion %.2f s (%r); RSS %.0f MB before, peak %.0f MB (+%.1f x the document)"
           % (size >> 20, opened, mb(peak_open or 0), edited, edited * 10, completed,
              items[0]["insertText"][:20] if items else "", mb(base or 0), mb(peak or 0),
              ((peak or 0) - (base or 0)) / (size >> 10)))
    if memory_checked(base, peak):
        check(peak - base < 8 * (size >> 10), "peak memory grew by %.0f MB for a %d MB document"
              % (mb(peak - base), size >> 20))
    finish(c)


if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
