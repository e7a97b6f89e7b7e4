#!/usr/bin/env python3
"""LSP sessions against the real server (docs/lsp.md): lifecycle and exit codes, requests
before initialize and after shutdown, malformed framing and bodies, oversized messages,
wrong params, a model that fails to load, a client that disconnects, status and progress,
settings, TCP. See transcript_harness.py.

    test_lsp_session.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
                        [--timeout SECONDS_PER_CASE] [--verbose]
"""
import json
import os
import re
import subprocess
import sys
import signal
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402

def case_initialize(k):
    c = k.start()
    result = initialize(c, encodings=["utf-32", "utf-8"])
    problems = []  # all of them at once: these are the contract's exact shapes
    if set(result) != {"capabilities", "serverInfo"}:
        problems.append("initialize result keys %r" % sorted(result))
    caps, want = result.get("capabilities", {}), expected_capabilities("utf-32")
    if caps != want:
        problems.append("capabilities differ from docs/lsp.md: %s" % "; ".join(
            "%s: %s, expected %s" % (key, json.dumps(caps.get(key, "(absent)")),
                                     json.dumps(want.get(key, "(absent)")))
            for key in sorted(set(caps) | set(want)) if caps.get(key) != want.get(key)))
    info = result.get("serverInfo", {})
    if not (info.get("name") == "infilld" and isinstance(info.get("version"), str) and
            re.fullmatch(r"\d+\.\d+\.\d+.*", info["version"])):
        problems.append("serverInfo %r" % info)
    s = stats(c)
    nonzero = [key for key in STATS_KEYS if key not in ("forwards", "positions") and s[key] != 0]
    if nonzero or s["latencyMs"]["count"] != 0 or any(s["pending"].values()):
        problems.append("fresh stats not zero: %s" % json.dumps(s))
    if not (s.get("device") in ("", "cpu", "cpu (q8 weights)") or str(s.get("device")).startswith("cuda: ")):
        problems.append("stats device %r" % s.get("device"))
    out = s.get("outgoing")
    if out != {"queuedBytes": out and out.get("queuedBytes"), "droppedNotifications": 0, "readPauses": 0} or \
            not isinstance(out.get("queuedBytes"), int):
        problems.append("fresh stats outgoing %r" % (out,))
    extra = sorted(set(s) - set(STATS_KEYS) - {"latencyMs", "device", "last", "pending", "outgoing", "settings"})
    settings = s.get("settings")
    if not (isinstance(settings, dict) and settings.get("budget") == 2048 and settings.get("maxTokens") == 0
            and settings.get("steps", "absent") is None and settings.get("device") == "auto"):
        problems.append("fresh stats settings %r (expected every key at its default)" % (settings,))
    if extra:
        problems.append("stats keys not in docs/lsp.md: %s" % extra)
    finish(c)
    check(not problems, " | ".join(problems))


def case_encoding_negotiation(k):
    for offered, expected in ((None, "utf-16"), ([], "utf-16"), (["utf-8"], "utf-8"),
                              (["utf-32", "utf-8"], "utf-32"),
                              (["x-ebcdic", "utf-16", "utf-8"], "utf-16"),
                              (["x-ebcdic"], "utf-16")):
        c = k.start()
        result = initialize(c, encodings=offered)
        got = result["capabilities"].get("positionEncoding")
        check(got == expected, "offered %r: positionEncoding %r, expected %r"
              % (offered, got, expected))
        finish(c)


def case_exit_without_shutdown(k):
    c = k.start()
    initialize(c)
    c.notify("exit")  # stdin stays open: `exit` alone must end the process
    status = c.wait_exit(10)
    check(status == 1, "exit status %r after `exit` without shutdown, expected 1" % status)
    check_replies(c)


def case_eof_without_shutdown(k):
    c = k.start()
    initialize(c)
    c.close_input()
    status = c.wait_exit(10)
    check(status == 1, "exit status %r at end of input without shutdown, expected 1" % status)
    check_replies(c)


def case_eof_after_shutdown(k):
    c = k.start(extra=["--stdio"])
    initialize(c)
    rid = c.request("shutdown")
    check(c.wait_response(rid, 10).get("result", "absent") is None, "shutdown reply not null")
    c.close_input()
    status = c.wait_exit(10)
    check(status == 0, "exit status %r at end of input after shutdown, expected 0" % status)
    check_replies(c)


def case_log_file(k):
    log = os.path.join(k.tmp, k.name, "server.log")
    c = k.start(extra=["--log", log])
    initialize(c)
    c.notify("textDocument/didOpen", {"textDocument": {"uri": k.uri(), "version": 1,
                                                       "text": 5, "languageId": "cpp"}})
    alive(c, "a bad didOpen")
    check(os.path.exists(log), "--log %s: no file" % log)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()  # while the server runs: each line reaches the file when written
    check("didOpen" in text, "the log file does not mention the bad didOpen while the server "
          "runs (buffered?): %r" % text[-500:])
    finish(c)
    check("didOpen" not in c.stderr_text(), "with --log, the error went to stderr too: %r"
          % c.stderr_text()[-300:])


def case_before_initialize(k):
    c = k.start()
    uri = k.uri()
    rid = c.request("infilld/stats")
    expect_error(c.wait_response(rid, 10), rid, NOT_INITIALIZED, "stats before initialize")
    open_doc(c, uri, SOURCE)  # a notification before initialize is dropped
    rid = inline(c, uri, {"line": 5, "character": 13})
    expect_error(c.wait_response(rid, 10), rid, NOT_INITIALIZED, "inlineCompletion before initialize")
    rid = c.request("shutdown")
    expect_error(c.wait_response(rid, 10), rid, NOT_INITIALIZED, "shutdown before initialize")
    initialize(c)
    rid = inline(c, uri, {"line": 5, "character": 13})
    expect_error(c.wait_response(rid, 20), rid, INVALID_PARAMS,
                 "inlineCompletion on the document opened before initialize (dropped)")
    finish(c)


def case_second_initialize(k):
    c = k.start()
    initialize(c)
    rid = c.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    expect_error(c.wait_response(rid, 10), rid, INVALID_REQUEST, "second initialize")
    stats(c)
    finish(c)


def case_unknown_method(k):
    c = k.start()
    initialize(c)
    rid = c.request("infilld/noSuchMethod", {"x": 1})
    expect_error(c.wait_response(rid, 10), rid, METHOD_NOT_FOUND, "unknown request")
    rid = c.request("textDocument/hover", {"textDocument": {"uri": k.uri()},
                                           "position": {"line": 0, "character": 0}})
    expect_error(c.wait_response(rid, 10), rid, METHOD_NOT_FOUND, "textDocument/hover")
    c.notify("infilld/noSuchNotification", {"x": 1})
    c.notify("$/setTrace", {"value": "off"})
    c.notify("$/noSuchThing")
    stats(c)
    finish(c)  # check_replies: no reply to the notifications (they came before shutdown's)


def case_after_shutdown(k):
    c = k.start()
    initialize(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    rid = c.request("shutdown")
    check(c.wait_response(rid, 10).get("result", "absent") is None, "shutdown reply not null")
    for method, params in (("infilld/stats", None),
                           ("textDocument/inlineCompletion",
                            {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 13},
                             "context": {"triggerKind": 1}}),
                           ("shutdown", None),
                           ("infilld/noSuchMethod", {})):
        rid = c.request(method, params)
        expect_error(c.wait_response(rid, 10), rid, INVALID_REQUEST, "%s after shutdown" % method)
    c.notify("exit")
    status = c.wait_exit(10)
    check(status == 0, "exit status %r after shutdown + exit, expected 0" % status)
    check_replies(c)


# ---------------------------------------------------------------------------------------
# cases: malformed input

def alive(c, what):
    """A stats request still answered after `what`."""
    rid = c.request("infilld/stats")
    try:
        expect_result(c.wait_response(rid, 10), rid, "stats after " + what)
    except TimeoutError:
        raise Fail("no answer to a valid request after %s" % what)


def case_framing(k):
    c = k.start()
    initialize(c)
    c.send_raw(b"Content-Type: application/vscode-jsonrpc\r\n\r\n")
    alive(c, "a header block without Content-Length")
    c.send_raw(b"Content-Length: twelve\r\n\r\n{\"x\":1}")
    alive(c, "a non-numeric Content-Length")
    c.send_raw(b"Content-Length: 12abc\r\n\r\n")
    alive(c, "a Content-Length with trailing junk")
    c.send_raw(b"\x00\xff\xfe garbage \x01\x02 bytes\r\n")
    alive(c, "garbage bytes")
    c.send_raw(b"\r\n\r\n")
    alive(c, "stray blank lines")
    c.send_raw(b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n")
    alive(c, "two different Content-Length values")
    c.send_raw(b"X" * 9000)  # a header line longer than 8 KiB
    c.send_raw(b"\r\n")
    alive(c, "a 9000-byte header line")
    # Valid variants: other headers, lower case, bare \n, split writes, two in one write.
    body = b'{"jsonrpc":"2.0","id":"variant-1","method":"infilld/stats"}'
    c.send_raw(b"content-length: %d\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n"
               % len(body) + body)
    expect_result(c.wait_response("variant-1", 10), "variant-1", "lower-case header, bare \\n")
    body = b'{"jsonrpc":"2.0","id":"variant-2","method":"infilld/stats"}'
    whole = b"Content-Length: %d\r\n\r\n" % len(body) + body
    for i in range(len(whole)):
        c.send_raw(whole[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.002)
    expect_result(c.wait_response("variant-2", 10), "variant-2", "a frame written byte by byte")
    two = b""
    for rid in ("variant-3", "variant-4"):
        body = b'{"jsonrpc":"2.0","id":"%s","method":"infilld/stats"}' % rid.encode()
        two += b"Content-Length: %d\r\n\r\n" % len(body) + body
    c.send_raw(two)
    for rid in ("variant-3", "variant-4"):
        expect_result(c.wait_response(rid, 10), rid, "two frames in one write")
    finish(c, raw_ids=("variant-1", "variant-2", "variant-3", "variant-4"))


def case_invalid_bodies(k):
    c = k.start()
    initialize(c)
    cases = [  # (body, expected code, expected reply id)
        (b"{not json", PARSE_ERROR, None),
        (b"", PARSE_ERROR, None),
        (b'{"jsonrpc":"2.0","id":31,"method":"infilld/stats"', PARSE_ERROR, None),
        (b'[{"jsonrpc":"2.0","id":32,"method":"infilld/stats"}]', INVALID_REQUEST, None),
        (b"42", INVALID_REQUEST, None),
        (b'{"id":33,"method":"infilld/stats"}', INVALID_REQUEST, 33),
        (b'{"jsonrpc":"1.0","id":34,"method":"infilld/stats"}', INVALID_REQUEST, 34),
        (b'{"jsonrpc":"2.0","id":35,"method":5}', INVALID_REQUEST, 35),
        (b'{"jsonrpc":"2.0","id":36,"method":"infilld/stats","params":"x"}', INVALID_REQUEST, 36),
        (b'{"jsonrpc":"2.0","id":{"a":1},"method":"infilld/stats"}', INVALID_REQUEST, None),
    ]
    nulls = 0
    for body, code, rid in cases:
        mark = c.mark()
        c.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        try:
            got = c.wait_for(lambda m: is_response(m) and m.get("id") == rid, 10, since=mark,
                             what="reply to %r" % body).msg
        except TimeoutError as e:
            raise Fail(str(e))
        expect_error(got, rid, code, "body %r" % body)
        nulls += rid is None
        alive(c, "body %r" % body)
    finish(c, allow_null=nulls, raw_ids=(33, 34, 35, 36))


def max_message_flag(binary):
    """Whether `infilld --help` (or `infilld lsp --help`) lists --max-message-bytes."""
    for argv in ([binary, "--help"], [binary, "lsp", "--help"]):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if "--max-message-bytes" in p.stdout + p.stderr:
            return True
    return False


def case_oversized(k):
    if not max_message_flag(k.binary):
        return "skip: `infilld --help` does not mention --max-message-bytes"
    limit = 4096
    c = k.start(extra=["--max-message-bytes", str(limit)])
    initialize(c)
    body = b'{"jsonrpc":"2.0","id":77,"method":"infilld/stats"}'
    big = body + b" " * (limit + 1 - len(body))
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(big) + big[:1000])
    time.sleep(0.1)
    c.send_raw(big[1000:])  # the rest arrives later: it is discarded too
    alive(c, "a body of %d bytes (limit %d)" % (len(big), limit))
    filler = (b"Content-Length: 2\r\n\r\n{}" * 2000)[:10 * limit]
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(filler))
    c.send_raw(filler)  # an oversized body that looks like frames: all of it skipped
    alive(c, "an oversized body containing frame-like text")
    exact = body.replace(b"77", b"78")
    exact += b" " * (limit - len(exact))
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(exact) + exact)
    expect_result(c.wait_response(78, 10), 78, "a body of exactly the limit")
    check(not c.responses(77), "the oversized request was answered: %r" % c.responses(77))
    finish(c, raw_ids=(77, 78))


def case_invalid_params(k):
    c = k.start()
    initialize(c, options=FAST)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    good_pos = {"line": 5, "character": 13}
    bad = [
        ({"textDocument": {"uri": uri}, "position": "5:13", "context": {"triggerKind": 1}},
         "position"),
        ({"position": good_pos, "context": {"triggerKind": 1}}, "textDocument"),
        ({"textDocument": {"uri": uri}, "position": {"line": -1, "character": 0},
          "context": {"triggerKind": 1}}, "line"),
        ({"textDocument": {"uri": uri}, "position": {"line": 5, "character": "x"},
          "context": {"triggerKind": 1}}, "character"),
        ({"textDocument": {"uri": 17}, "position": good_pos, "context": {"triggerKind": 1}},
         "uri"),
        (None, ""),
    ]
    for params, field in bad:
        rid = c.request("textDocument/inlineCompletion", params)
        expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS,
                     "inlineCompletion %s" % json.dumps(params), mentions=(field,) if field else ())
    rid = c.request("workspace/executeCommand", {"command": 5})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "executeCommand command 5",
                 mentions=("command",))
    bad_uri = k.uri("bad.cpp")
    c.notify("textDocument/didOpen", {"textDocument": {"uri": bad_uri, "languageId": "cpp",
                                                       "version": 1, "text": 5}})
    c.notify("textDocument/didOpen", {"textDocument": "nope"})
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                        "contentChanges": "all of it"})
    c.notify("textDocument/didClose", {})
    alive(c, "malformed notifications")
    rid = inline(c, bad_uri, {"line": 0, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS,
                 "inlineCompletion on the document whose didOpen had a number as text")
    complete(c, uri, good_pos, "inlineCompletion after the malformed notifications")
    finish(c)


def case_model_failure(k):
    missing = "/nonexistent/infilld-model"
    c = k.start(model=missing)
    initialize(c, options=FAST)
    c.wait_notification("window/showMessage", lambda p: p.get("type") == 1, 15)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    rid = inline(c, uri, pos_of(SOURCE, "s += "))
    expect_error(c.wait_response(rid, 15), rid, REQUEST_FAILED, "inlineCompletion without a model",
                 mentions=(missing,))
    rid = inline(c, uri, pos_of(SOURCE, "return "))
    expect_error(c.wait_response(rid, 15), rid, REQUEST_FAILED, "a second inlineCompletion")
    err = c.wait_notification("didChangeStatus", lambda p: p.get("state") == "error", 5)
    check_status_params(err.msg["params"])
    check(err.msg["params"]["kind"] == "Error", "error status %r" % err.msg["params"])
    stats(c)
    finish(c)
    shows = [r.msg["params"] for r in c.notifications("window/showMessage")
             if r.msg["params"].get("type") == 1]
    check(len(shows) == 1, "%d window/showMessage errors, expected 1: %r" % (len(shows), shows))


def case_disconnect(k):
    """A client that leaves while a request runs, and one that leaves while a request
    debounces: the server exits (status 1: no shutdown) rather than finishing the work."""
    c = k.start()
    initialize(c, options={"maxTokens": 64, "debounceMs": 0})
    wait_ready(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    rid, sid = c.new_id(), c.new_id()
    c.send_batch([{"jsonrpc": "2.0", "id": rid, "method": "textDocument/inlineCompletion",
                   "params": {"textDocument": {"uri": uri}, "position": pos_of(SOURCE, "s += "),
                              "context": {"triggerKind": 1}}},
                  {"jsonrpc": "2.0", "id": sid, "method": "infilld/stats"}])
    s = expect_result(c.wait_response(sid, 30), sid, "stats with a request in the engine")
    check(s["pending"]["running"] == 1, "the request is not in the engine: pending %s"
          % json.dumps(s["pending"]))
    c.close_input()
    status = c.wait_exit(60)  # a guard against a hang, not a time limit
    check(status is not None, "the server still runs 60 s after the client left mid-request")
    check(status == 1, "exit status %r after the client left mid-request, expected 1" % status)
    c2 = k.start()
    initialize(c2, options={"maxTokens": 64, "debounceMs": LONG_DEBOUNCE})
    wait_ready(c2)
    open_doc(c2, uri, SOURCE)
    inline(c2, uri, pos_of(SOURCE, "s += "), trigger=2)
    wait_pending(c2, "an automatic request", debouncing=1)
    c2.close_input()
    status = c2.wait_exit(30)  # the debounce is 60 s: exiting before it ends is the point
    check(status is not None, "the server still runs 30 s after the client left with a "
          "debounced request pending (waiting for its 60 s debounce?)")
    check(status == 1, "exit status %r after the client left with a debounced request pending, "
          "expected 1" % status)


def case_sigterm(k):
    """SIGTERM (and SIGINT) stop the server as `exit` does: a pending request is answered as
    cancelled, and the process ends by itself (not killed by the signal)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        c = k.start()
        initialize(c, options={"maxTokens": 64, "debounceMs": LONG_DEBOUNCE})
        wait_ready(c)
        uri = k.uri()
        open_doc(c, uri, SOURCE)
        rid = inline(c, uri, pos_of(SOURCE, "s += "), trigger=2)
        wait_pending(c, "an automatic request", debouncing=1)
        c.proc.send_signal(sig)
        expect_error(c.wait_response(rid, 30), rid, -32800, "the request pending at %s" % sig.name)
        status = c.wait_exit(30)
        check(status is not None, "the server still runs 30 s after %s" % sig.name)
        check(status >= 0, "the server died of a signal (%r) at %s" % (status, sig.name))


def lsp_frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def case_closed_output(k):
    """A client that stops reading for good (its end of our stdout closed): the next write
    fails with EPIPE, which ends the server as a disconnect does, not by SIGPIPE."""
    proc = subprocess.Popen([k.binary, "lsp", "--model", k.model], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.close()  # nobody reads the server's output any more
    try:
        proc.stdin.write(lsp_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                    "params": {"processId": None, "capabilities": {}}}))
        for i in range(2, 50):
            proc.stdin.write(lsp_frame({"jsonrpc": "2.0", "id": i, "method": "infilld/stats"}))
        proc.stdin.flush()
    except BrokenPipeError:
        pass  # it ended already
    try:
        status = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Fail("the server still runs 30 s after its output was closed")
    check(status >= 0, "the server died of signal %d with its output closed" % -status)


def case_parent_dies(k):
    """The server ends with the process that started it (an editor that crashed), even
    while its input stays open (here the test holds the pipe's other end)."""
    read_end, write_end = os.pipe()
    script = ("import os, subprocess, sys\n"
              "p = subprocess.Popen([sys.argv[1], 'lsp', '--model', sys.argv[2]], stdin=int(sys.argv[3]),\n"
              "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=[int(sys.argv[3])])\n"
              "print(p.pid, flush=True)\n")  # then exits, leaving the server orphaned
    try:
        out = subprocess.run([sys.executable, "-c", script, k.binary, k.model, str(read_end)],
                             capture_output=True, text=True, timeout=30, pass_fds=[read_end])
        pid = int(out.stdout.split()[0])
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        raise Fail("the server (pid %d) still ran 30 s after its parent ended" % pid)
    finally:
        os.close(read_end)
        os.close(write_end)


def check_status_params(p):
    check(isinstance(p, dict) and p.get("kind") in ("Normal", "Error", "Inactive") and
          isinstance(p.get("busy"), bool) and isinstance(p.get("message"), str) and
          p.get("state") in ("loading", "ready", "busy", "error"), "didChangeStatus %r" % p)


def case_status(k):
    c = k.start()
    initialize(c)
    init_index = [r.index for r in c.messages if is_response(r.msg) and r.msg.get("id") == 1][0]
    ready = c.wait_notification("didChangeStatus", lambda p: p.get("state") == "ready", 15)
    check(ready.index > init_index, "ready before the initialize reply")
    check(ready.msg["params"].get("kind") == "Normal", "ready status %r" % ready.msg["params"])
    for r in c.notifications("didChangeStatus"):
        check_status_params(r.msg["params"])
        if r.index < ready.index:
            check(r.msg["params"]["state"] == "loading", "before ready: %r" % r.msg["params"])
    finish(c)


def case_progress(k):
    c = k.start()
    initialize(c, progress=True)
    create = c.wait_for(lambda m: m.get("method") == "window/workDoneProgress/create", 10,
                        what="window/workDoneProgress/create").msg
    check(create.get("params") == {"token": "infilld/load"}, "create params %r" % create.get("params"))
    init_index = [r.index for r in c.messages if is_response(r.msg) and r.msg.get("id") == 1][0]
    check(c.server_requests("window/workDoneProgress/create")[0].index > init_index,
          "window/workDoneProgress/create before the initialize reply")
    c.wait_notification("$/progress", lambda p: (p.get("value") or {}).get("kind") == "end", 15)
    create_index = c.server_requests("window/workDoneProgress/create")[0].index
    events = [r for r in c.notifications("$/progress")]
    kinds = [r.msg["params"]["value"].get("kind") for r in events]
    check(all(r.msg["params"].get("token") == "infilld/load" for r in events), "progress tokens")
    check(all(r.index > create_index for r in events), "$/progress before the create request")
    check(kinds[0] == "begin" and kinds[-1] == "end" and
          all(x == "report" for x in kinds[1:-1]), "progress kinds %r" % kinds)
    check(isinstance(events[0].msg["params"]["value"].get("title"), str), "begin without a title")
    pct = [r.msg["params"]["value"].get("percentage") for r in events[1:-1]]
    pct = [p for p in pct if p is not None]
    check(all(isinstance(p, int) and 0 <= p <= 100 for p in pct) and pct == sorted(pct),
          "percentages %r" % pct)
    finish(c)
    # Without window.workDoneProgress: no create request, no $/progress.
    c2 = k.start()
    initialize(c2)
    c2.wait_notification("didChangeStatus", lambda p: p.get("state") == "ready", 15)
    finish(c2)  # everything the server sent has arrived
    check(not c2.server_requests("window/workDoneProgress/create") and
          not c2.notifications("$/progress"), "progress sent to a client that did not ask")


def case_settings(k):
    """Bad values are reported and keep the previous value; good ones take effect: the
    engine's canvas is maxTokens long (infilld/stats `last`), and the decoding policy
    (`alg`) changes the suggestion, which comes back when the policy does."""
    c = k.start()
    initialize(c, options={"maxTokens": "lots", "noSuchKey": 1, "debounceMs": 0,
                           "speculative": False})
    c.wait_notification("window/showMessage", lambda p: p.get("type") == 1 and
                        "maxTokens" in p.get("message", ""), 5)
    c.wait_notification("window/logMessage", lambda p: p.get("type") == 2 and
                        "noSuchKey" in p.get("message", ""), 5)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos = pos_of(SOURCE, "s += ")
    complete(c, uri, pos, "with the default maxTokens")
    shape_canvas = stats(c)["last"]["canvas"]
    check(shape_canvas > 0 and shape_canvas != 8, "with maxTokens 0 (\"lots\" was rejected) "
          "the canvas is %d, expected the completion shape's length (not 0, and 8 would not "
          "tell maxTokens 8 apart)" % shape_canvas)
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"budget": 5}}})
    c.wait_notification("window/showMessage", lambda p: p.get("type") == 1 and
                        "budget" in p.get("message", ""), 5, since=mark)
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration", {"settings": {"debounceMs": "soon"}})
    c.wait_notification("window/showMessage", lambda p: p.get("type") == 1 and
                        "debounceMs" in p.get("message", ""), 5, since=mark)
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"maxTokens": 8, "alg": "entropy"}}})
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"alg": "best"}}})
    c.wait_notification("window/showMessage", lambda p: p.get("type") == 1 and
                        "alg" in p.get("message", ""), 5, since=mark)
    shows = [r for r in c.notifications("window/showMessage", since=mark)]
    check(len(shows) == 1, "valid settings reported: %r" % [r.msg for r in shows])
    c.wait_notification("window/logMessage", lambda p: p.get("type") == 4 and p.get("message") ==
                        "settings changed: maxTokens 8 (was 0), alg \"entropy\" (was null)", 5, since=mark)
    now = stats(c)["settings"]
    check(now["maxTokens"] == 8 and now["alg"] == "entropy" and now["budget"] == 2048 and
          now["debounceMs"] == 0, "infilld/stats settings after the changes: %r" % now)

    def suggest(what):
        before = stats(c)
        text = complete(c, uri, pos, what)[0]["insertText"]
        after = stats(c)
        check(delta(after, before, "forwards") > 0, "%s: answered without the engine (a "
              "settings change must start the completion cache afresh)" % what)
        last = after["last"]
        check(last["canvas"] == 8 and 0 < last["tokens"] <= 8, "%s: the engine filled a "
              "canvas of %d tokens and wrote %d, expected maxTokens 8" % (what, last["canvas"],
                                                                          last["tokens"]))
        return text

    entropy = suggest("alg entropy (\"best\" rejected), maxTokens 8")
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"alg": "random"}}})
    other = suggest("alg random")
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"alg": "entropy"}}})
    again = suggest("alg entropy again")
    k.note("entropy %r, random %r" % (entropy, other))
    check(again == entropy, "the same settings twice gave %r then %r: decoding is not "
          "deterministic, so the next check would tell nothing" % (entropy, again))
    check(other != entropy, "alg random and alg entropy gave the same suggestion %r: the "
          "policy setting had no effect" % entropy)
    finish(c)


def case_tcp(k):
    c = k.start(tcp=True)
    initialize(c, options=FAST)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    complete(c, uri, pos_of(SOURCE, "s += "), "over TCP")
    stats(c)
    finish(c)
    c2 = k.start(tcp=True)
    initialize(c2)
    rid = c2.request("shutdown")
    check(c2.wait_response(rid, 10).get("result", "absent") is None, "shutdown over TCP")
    c2.close_input()
    status = c2.wait_exit(10)
    check(status == 0, "exit status %r when the TCP client leaves after shutdown" % status)
    check_replies(c2)
    c3 = k.start(tcp=True)
    initialize(c3)
    c3.close_input()
    status = c3.wait_exit(10)
    check(status == 1, "exit status %r when the TCP client leaves without shutdown" % status)
    check_replies(c3)




if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
