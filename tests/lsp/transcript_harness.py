#!/usr/bin/env python3
"""What the LSP transcript tests share: a case's servers and documents, reply checks
(every request answered exactly once, only well-formed frames on stdout), and the runner.
The cases are in test_lsp_session.py (lifecycle, framing, errors, model loading,
transports), test_lsp_completion.py (documents, completions, cancellation, cache,
acceptance, streaming, speculation) and test_lsp_default_model.py (the shipped model);
each starts its own `infilld lsp --model DIR`, the first two on a tiny random checkpoint
(tools/tiny_checkpoint.py, `printable`: it always writes a readable suggestion), driven by
tools/lsp_client.py.

Each test prints `ok NAME` / `FAIL NAME: why` (with the transcript and the server's
stderr) per case, `skipped NAME: why` for a case the binary or the environment cannot run,
then `N passed, M failed, K skipped`, and `skipped: why` when nothing ran at all (ctest
reports the test skipped). With INFILLD_REQUIRE_ALL=1 in the environment (CI) a skipped
case is a failure. Exit status 1 on failure.

No check reads a clock: a wait is for an event (a reply, a notification, a counter or the
`pending` state in infilld/stats), and its timeout only guards against a hang (a hang is
a failure). Debounces under test are long (60 s) where a reply must come from the cancel,
change or supersede being tested.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tests", "parity"))
import harness  # noqa: E402
from lsp_client import LspClient, is_response  # noqa: E402
from tiny_checkpoint import write_checkpoint  # noqa: E402

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
NOT_INITIALIZED, REQUEST_FAILED, CONTENT_MODIFIED, CANCELLED = -32002, -32803, -32801, -32800

STATS_KEYS = ("requests", "completed", "empty", "errors", "cancelled", "superseded",
              "contentModified", "cacheHits", "typedThroughHits", "speculative", "speculativeUsed", "shown",
              "accepted", "partiallyAccepted", "forwards", "positions", "doubleReplies", "dropped")
RUN_KEYS = ("forwards", "positions", "canvas", "tokens")
PENDING_KEYS = ("debouncing", "waitingForModel", "running", "speculative")
FAST = {"maxTokens": 16, "debounceMs": 0, "seed": 1}
LONG_DEBOUNCE = 60000  # ms: a debounced request is answered only by what the case does to it
# The tiny checkpoint's seed. With `printable` its suggestions are readable, but some
# contexts still get none (post-processing cuts them): seeds 1 and 2 left a request of these
# tests empty, 3 answers every one (and its `alg` settings give different suggestions).
TINY_SEED = 3

SOURCE = ("#include <vector>\n"
          "\n"
          "int sum(const std::vector<int>& v) {\n"
          "    int s = 0;\n"
          "    for (int x : v) {\n"
          "        s += \n"
          "    }\n"
          "    return s;\n"
          "}\n")


class Fail(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Fail(message)


# ---------------------------------------------------------------------------------------
# positions in the negotiated encoding

def units(s, encoding):
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-16":
        return len(s.encode("utf-16-le")) // 2
    return len(s)


def position(text, index, encoding="utf-16"):
    """The LSP position of Python index `index` of `text`."""
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return {"line": line, "character": units(text[start:index], encoding)}


def pos_of(text, needle, encoding="utf-16", after=True):
    """The position just after (or at) the first occurrence of `needle`."""
    i = text.index(needle)
    return position(text, i + len(needle) if after else i, encoding)


def index_of(text, pos, encoding="utf-16"):
    """Python index of an LSP position (the inverse of position())."""
    lines = text.split("\n")
    i = sum(len(l) + 1 for l in lines[:pos["line"]])
    line, n = lines[pos["line"]], 0
    for k, ch in enumerate(line):
        if n >= pos["character"]:
            return i + k
        n += units(ch, encoding)
    return i + len(line)


def last_line(text):
    return text.count("\n")


# ---------------------------------------------------------------------------------------
# a case's context: servers, documents, helpers

class Case:
    def __init__(self, args, binary, model, tmp, name):
        self.args, self.binary, self.model, self.tmp, self.name = args, binary, model, tmp, name
        self.clients = []
        self.notes = []

    def uri(self, name="main.cpp"):
        return "file://" + os.path.join(self.tmp, self.name, name)

    def start(self, model=None, extra=(), tcp=False):
        argv = [self.binary, "lsp", "--model", model or self.model] + list(extra)
        if tcp:
            argv += ["--port", "0"]
        env = dict(os.environ)
        env.pop("INFILLD_MODEL", None)
        client = LspClient(argv, tcp=tcp, env=env)
        self.clients.append(client)
        return client

    def note(self, text):
        self.notes.append(text)

    def cleanup(self):
        for c in self.clients:
            c.kill()


def expect_result(resp, id, what=""):
    check(resp.get("jsonrpc") == "2.0", "%s: reply without jsonrpc 2.0: %r" % (what, resp))
    check(resp.get("id") == id, "%s: reply id %r, expected %r" % (what, resp.get("id"), id))
    check("error" not in resp and "result" in resp,
          "%s: expected a result, got %s" % (what, json.dumps(resp)[:500]))
    return resp["result"]


def expect_error(resp, id, code, what="", mentions=()):
    check(resp.get("jsonrpc") == "2.0", "%s: reply without jsonrpc 2.0: %r" % (what, resp))
    check(resp.get("id") == id, "%s: reply id %r, expected %r" % (what, resp.get("id"), id))
    check("result" not in resp and isinstance(resp.get("error"), dict),
          "%s: expected error %d, got %s" % (what, code, json.dumps(resp)[:500]))
    err = resp["error"]
    check(err.get("code") == code, "%s: error code %r, expected %d (%s)"
          % (what, err.get("code"), code, err.get("message")))
    check(isinstance(err.get("message"), str) and err["message"],
          "%s: error without a message: %r" % (what, err))
    for m in mentions:
        check(m.lower() in err["message"].lower(),
              "%s: error message %r does not mention %r" % (what, err["message"], m))
    return err


def initialize(c, options=None, encodings=None, progress=False, timeout=15):
    caps = {}
    if encodings is not None:
        caps["general"] = {"positionEncodings": encodings}
    if progress:
        caps["window"] = {"workDoneProgress": True}
    params = {"processId": os.getpid(), "rootUri": None, "capabilities": caps}
    if options is not None:
        params["initializationOptions"] = options
    rid = c.request("initialize", params)
    result = expect_result(c.wait_response(rid, timeout), rid, "initialize")
    c.notify("initialized", {})
    return result


def expected_capabilities(encoding):
    return {"positionEncoding": encoding,
            "textDocumentSync": {"openClose": True, "change": 2, "save": {"includeText": False}},
            "inlineCompletionProvider": {},
            "completionProvider": {"resolveProvider": False},
            "executeCommandProvider": {"commands": ["infilld.accept"]}}


def wait_ready(c, timeout=15):
    """Waits for the didChangeStatus `ready` that follows the model's loading (a request
    sent while the model loads waits for it: the cases that watch a request's `pending`
    state start from a loaded model)."""
    c.wait_notification("didChangeStatus", lambda p: (p or {}).get("state") == "ready", timeout)


def open_doc(c, uri, text, version=1, language="cpp"):
    c.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language, "version": version, "text": text}})


def change(c, uri, version, changes):
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                        "contentChanges": changes})


def edit(start, end, text):
    return {"range": {"start": start, "end": end}, "text": text}


def inline(c, uri, pos, trigger=1, selected=None):
    ctx = {"triggerKind": trigger}
    if selected is not None:
        ctx["selectedCompletionInfo"] = selected
    return c.request("textDocument/inlineCompletion",
                     {"textDocument": {"uri": uri}, "position": pos, "context": ctx})


def printable(text):
    """What an editor can show: no control characters but tab and line breaks, and no
    U+FFFD, which is what invalid UTF-8 becomes when the server serialises it (the tiny
    model never writes the three byte tokens of a real U+FFFD in practice)."""
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", text)


def check_items(result, pos, what="inlineCompletion"):
    """The result shape of docs/lsp.md; returns the items."""
    check(isinstance(result, dict) and set(result) == {"items"},
          "%s: result %r is not {items}" % (what, result))
    items = result["items"]
    check(isinstance(items, list), "%s: items %r" % (what, items))
    for item in items:
        check(isinstance(item, dict) and isinstance(item.get("insertText"), str),
              "%s: item without a string insertText: %r" % (what, item))
        check(printable(item["insertText"]), "%s: insertText %r is not printable (control "
              "characters, or U+FFFD: invalid UTF-8 replaced on the wire)" % (what, item["insertText"]))
        check(item.get("range") == {"start": pos, "end": pos},
              "%s: item range %r, expected start == end == %r" % (what, item.get("range"), pos))
        cmd = item.get("command")
        check(isinstance(cmd, dict) and cmd.get("command") == "infilld.accept" and
              isinstance(cmd.get("title"), str) and isinstance(cmd.get("arguments"), list) and
              len(cmd["arguments"]) == 1 and isinstance(cmd["arguments"][0], dict) and
              isinstance(cmd["arguments"][0].get("id"), str),
              "%s: item command %r is not {title, command: infilld.accept, arguments: [{id}]}"
              % (what, cmd))
    return items


def nonempty(items, what="inlineCompletion"):
    """Checks that an answer has an item with text (the printable tiny checkpoint and the
    default model always write one): every check of an answer's content starts here."""
    check(items and items[0]["insertText"], "%s: no suggestion (%r); the checks of its "
          "content would pass vacuously" % (what, items))
    return items


def complete(c, uri, pos, what="inlineCompletion", timeout=30, trigger=1, allow_empty=False):
    """An inline completion's items, checked (check_items) and, unless allow_empty,
    non-empty."""
    rid = inline(c, uri, pos, trigger)
    items = check_items(expect_result(c.wait_response(rid, timeout), rid, what), pos, what)
    return items if allow_empty else nonempty(items, what)


def stats(c, timeout=10):
    rid = c.request("infilld/stats")
    s = expect_result(c.wait_response(rid, timeout), rid, "infilld/stats")
    check(isinstance(s, dict), "stats %r" % (s,))
    missing = [k for k in STATS_KEYS + ("latencyMs",) if k not in s]
    check(not missing, "stats lack %s: %r" % (missing, s))
    for k in STATS_KEYS:
        check(isinstance(s[k], int) and s[k] >= 0, "stats %s = %r" % (k, s[k]))
    lat = s["latencyMs"]
    check(isinstance(lat, dict) and all(isinstance(lat.get(k), (int, float))
                                        for k in ("count", "p50", "p95", "p99")),
          "stats latencyMs %r" % (lat,))
    for key, keys in (("last", RUN_KEYS), ("pending", PENDING_KEYS)):
        obj = s.get(key)
        check(isinstance(obj, dict) and set(obj) == set(keys) and
              all(isinstance(obj[k], int) and obj[k] >= 0 for k in keys),
              "stats %s %r, expected {%s} of counts" % (key, obj, ", ".join(keys)))
    # Exactly one reply per request: release builds count a broken promise instead of
    # stopping (docs/lsp.md), so every transcript's stats look at the count.
    check(s.get("doubleReplies") == 0 and s.get("dropped") == 0,
          "stats: doubleReplies %r, dropped %r (a completion request answered twice or never)"
          % (s.get("doubleReplies"), s.get("dropped")))
    return s


def idle(s):
    """No request pending (debouncing, waiting for the model, in the engine) and no
    speculative one running."""
    return not any(s["pending"].values())


def wait_pending(c, what="the pending requests", timeout=30, **counts):
    """Polls infilld/stats until its `pending` object has exactly `counts` (the keys not
    given: 0); returns the stats."""
    want = dict.fromkeys(PENDING_KEYS, 0)
    want.update(counts)
    return wait_stats(c, lambda s: s["pending"] == want, timeout, "pending %s (%s)"
                      % (json.dumps(want), what))


def delta(after, before, key):
    if key == "latency":
        return after["latencyMs"]["count"] - before["latencyMs"]["count"]
    return after[key] - before[key]


def wait_stats(c, predicate, timeout=15, what="stats"):
    """Polls infilld/stats until predicate(stats) (notifications are counted asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        s = stats(c)
        if predicate(s):
            return s
        if time.monotonic() > deadline:
            raise Fail("%s never held; last stats %s" % (what, json.dumps(s)))
        time.sleep(0.05)


def find_suggestion(c, uri, text, needles, min_len=1, encoding="utf-16"):
    """The first (pos, item) whose insertText has at least min_len characters (and no
    "\r", a line break to LSP), requesting after each needle in turn (the tiny model
    writes random text, sometimes nothing)."""
    for needle in needles:
        pos = pos_of(text, needle, encoding)
        items = complete(c, uri, pos, allow_empty=True)
        if items and len(items[0]["insertText"]) >= min_len and "\r" not in items[0]["insertText"]:
            return pos, items[0]
    raise Fail("no suggestion of >= %d characters after any of %r" % (min_len, needles))


NEEDLES = ["s += ", "int s = ", "return ", "for (int x : v) {\n", "#include <vector>\n",
           "int sum(", "std::"]


def check_replies(c, allow_null=0, raw_ids=()):
    """Every request sent answered exactly once; no response to anything else (except
    `allow_null` responses with id null, and the ids in raw_ids sent as raw bytes)."""
    ids = c.sent_request_ids()
    answers = {}  # by id as JSON text (ids may be numbers or strings): counted once, O(n)
    nulls = 0
    for r in c.responses():
        if r.get("id") is None:
            nulls += 1
        else:
            key = json.dumps(r["id"])
            answers[key] = answers.get(key, 0) + 1
    for rid in ids:
        n = answers.get(json.dumps(rid), 0)
        check(n == 1, "request id %r answered %d times" % (rid, n))
    known = set(map(json.dumps, ids)) | set(map(json.dumps, raw_ids))
    for key in answers:
        check(key in known, "a response to id %s, never sent" % key)
    check(nulls == allow_null, "%d responses with id null, expected %d" % (nulls, allow_null))
    for rid in raw_ids:
        check(answers.get(json.dumps(rid), 0) <= 1, "raw request id %r answered more than once" % rid)
    check(not c.protocol_errors, "malformed server output: %r" % c.protocol_errors[:3])


def finish(c, allow_null=0, raw_ids=()):
    """shutdown -> null, exit -> status 0, then check_replies()."""
    rid = c.request("shutdown")
    resp = c.wait_response(rid, 15)
    check(resp == {"jsonrpc": "2.0", "id": rid, "result": None},
          "shutdown reply %r, expected a null result" % resp)
    c.notify("exit")
    status = c.wait_exit(10)
    check(status is not None, "no exit within 10 s of `exit`")
    check(status == 0, "exit status %r after shutdown + exit, expected 0" % status)
    check_replies(c, allow_null, raw_ids)


# ---------------------------------------------------------------------------------------
# cases: lifecycle

def run_case(args, binary, model, tmp, name, fn):
    """Runs one case: True (passed), False (failed) or the reason it was skipped."""
    k = Case(args, binary, model, tmp, name)
    os.makedirs(os.path.join(tmp, name), exist_ok=True)
    outcome = {}

    def body():
        try:
            outcome["value"] = fn(k)
        except Fail as e:
            outcome["error"] = str(e)
        except TimeoutError as e:
            outcome["error"] = "timeout: %s" % e
        except Exception:  # a bug in the test or an unexpected reply shape
            outcome["error"] = "exception:\n" + traceback.format_exc()

    t0 = time.monotonic()
    th = threading.Thread(target=body, daemon=True)
    th.start()
    th.join(args.timeout)
    if th.is_alive():
        outcome["error"] = "case still running after %d s (a hang)" % args.timeout
    k.cleanup()
    th.join(5)
    elapsed = time.monotonic() - t0
    value = outcome.get("value")
    if "error" not in outcome and isinstance(value, str) and value.startswith("skip"):
        why = value[len("skip"):].lstrip(":").strip() or "(no reason given)"
        # With INFILLD_REQUIRE_ALL=1 a skip is a failure (harness.skip_case prints it).
        return why if harness.skip_case(name, why) else False
    if "error" in outcome:
        print("FAIL %s (%.1f s): %s" % (name, elapsed, outcome["error"]))
        for note in k.notes:
            print("    note: %s" % note)
        if k.clients:
            last = k.clients[-1]
            print("    transcript (last messages; >> sent, << received):")
            print("\n".join("      " + l for l in last.transcript(40, 300).splitlines()))
            err = last.stderr_text().strip().splitlines()[-15:]
            if err:
                print("    server stderr (tail):")
                print("\n".join("      " + l for l in err))
        return False
    print("ok %s (%.1f s)%s" % (name, elapsed, "".join("\n    " + n for n in k.notes)))
    if args.verbose and k.clients:
        print("\n".join("      " + l for l in k.clients[-1].transcript().splitlines()))
    return True


def tiny_model(args, work):
    """The cases' model: a tiny random Dream checkpoint whose LM head writes only printable
    ASCII, so every request gets a suggestion."""
    model = os.path.join(work, "tiny-dream")
    write_checkpoint(model, "dream", "bf16", seed=TINY_SEED, printable=True)
    return model


def main(doc, cases, argv=None, model=tiny_model):
    """Runs the cases (those --only names) against `model(args, work)`: a model folder, or
    "skip: why" when the environment lacks it (the whole test is skipped: `skipped: why`
    first, see tests/parity/harness.py)."""
    args, binary = harness.parse_args(
        doc, "where the tiny checkpoint and documents go", timeout=90, argv=argv,
        extra=lambda p: p.add_argument("--verbose", action="store_true",
                                       help="print every case's transcript"))
    work, cleanup = harness.work_dir(args.workdir, "infilld-lsp-")
    try:
        folder = model(args, work)
        if folder.startswith("skip"):
            return harness.skip_all(folder[len("skip"):].lstrip(":").strip())
        only = [s for s in (args.only or "").split(",") if s]
        passed = failed = 0
        skipped = []
        for name, fn in cases:
            if only and not any(s in name for s in only):
                continue
            ok = run_case(args, binary, folder, work, name, fn)
            if ok is True:
                passed += 1
            elif ok is False:
                failed += 1
            else:
                skipped.append(ok)
        status = harness.summary(passed, failed, len(skipped))
        if skipped and not passed and not failed:  # every case chosen was skipped
            print("skipped: %s" % "; ".join(sorted(set(skipped))))
        return status
    finally:
        cleanup()


def collect(namespace):
    """The case_* functions of a module, in definition order."""
    return [(name[len("case_"):], fn) for name, fn in list(namespace.items())
            if name.startswith("case_") and callable(fn)]
