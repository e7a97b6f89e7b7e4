#!/usr/bin/env python3
"""LSP completion sessions against the real server (docs/lsp.md): documents in each
position encoding, inline completion and its fallback, selected completions,
cancellation and storms, supersede, debounce, ContentModified, cache and typed-through
reuse, acceptance, speculation, streaming. See transcript_harness.py.

    test_lsp_completion.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
                        [--timeout SECONDS_PER_CASE] [--verbose]
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402

# ---------------------------------------------------------------------------------------
# cases: documents

DOC0 = ("// café ☕ and 😀 here\n"
        "int main() {\n"
        "    int x = 1;\n"
        "}\n")


def documents_for(k, encoding):
    c = k.start()
    offered = None if encoding == "utf-16" else [encoding]
    # No speculation: its forwards would land in the stats around the cache hit below.
    result = initialize(c, options=dict(FAST, speculative=False), encodings=offered)
    check(result["capabilities"]["positionEncoding"] == encoding, "encoding not %s" % encoding)
    uri = k.uri("doc_%s.cpp" % encoding)
    text = DOC0
    open_doc(c, uri, text)
    # v2: insert after the emoji; v3: replace "1" by a call with non-ASCII text;
    # v4: a new line before "}"; v5 (two changes in one notification): replace "é ☕" and
    # append to line 1.
    edits = []
    i = text.index("😀") + 1
    edits.append((2, [(i, i, " naïve 🎉")]))
    text2 = text[:i] + " naïve 🎉" + text[i:]
    j = text2.index("= 1") + 2
    edits.append((3, [(j, j + 1, 'f("ü😀")')]))
    text3 = text2[:j] + 'f("ü😀")' + text2[j + 1:]
    m = text3.index("}\n")
    edits.append((4, [(m, m, "    // 🙂 done\n")]))
    text4 = text3[:m] + "    // 🙂 done\n" + text3[m:]
    a = text4.index("é ☕")
    step1 = text4[:a] + "e" + text4[a + 3:]
    b = step1.index("{\n") + 1
    text5 = step1[:b] + " // 𝄞" + step1[b:]
    edits.append((5, [(a, a + 3, "e"), (b, b, " // 𝄞")]))
    current = text
    for version, changes in edits:
        lsp_changes = []
        for start, end, new in changes:  # each change applies to the text after the previous
            lsp_changes.append(edit(position(current, start, encoding),
                                    position(current, end, encoding), new))
            current = current[:start] + new + current[end:]
        change(c, uri, version, lsp_changes)
    check(current == text5, "test bug: expected text")
    final = current
    pos = pos_of(final, 'f("ü😀")', encoding)
    items = complete(c, uri, pos, "inlineCompletion after the edits")
    # The same text opened whole is the same context: the completion cache (keyed by the
    # text before and after the cursor) answers it, without the engine.
    s0 = stats(c)
    c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    open_doc(c, uri, final, version=9)
    items2 = complete(c, uri, pos, "inlineCompletion on the reopened document")
    s1 = stats(c)
    check([i["insertText"] for i in items] == [i["insertText"] for i in items2],
          "%s: the edited document and the same text opened whole differ: %r vs %r (the "
          "incremental edits were applied differently?)" % (encoding, items, items2))
    check(delta(s1, s0, "cacheHits") == 1 and delta(s1, s0, "forwards") == 0,
          "%s: the reopened document's request was not a cache hit (cacheHits +%d, forwards "
          "+%d): its text around the cursor differs from the edited document's"
          % (encoding, delta(s1, s0, "cacheHits"), delta(s1, s0, "forwards")))
    k.note("%s: suggestion %r" % (encoding, items[0]["insertText"][:20]))
    # The line count: the last line (empty, after the final newline) is valid, one more not.
    n = last_line(final)
    complete(c, uri, {"line": n, "character": 0}, "the empty last line")
    rid = inline(c, uri, {"line": n + 1, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "a position past the last line")
    # A character past the line's end clamps.
    rid = inline(c, uri, {"line": 1, "character": 500})
    res = expect_result(c.wait_response(rid, 30), rid, "a character past the line's end")
    check(isinstance(res, dict) and isinstance(res.get("items"), list), "result %r" % res)
    clamped = position(final, final.index("\n", final.index("\n") + 1), encoding)  # line 1's end
    check_items(res, clamped, "a character past the line's end (clamped to %r)" % clamped)
    nonempty(res["items"], "a character past the line's end")
    # A stale version and a range outside the document: logged as errors, text unchanged.
    mark = c.mark()
    change(c, uri, 9, [edit({"line": 0, "character": 0}, {"line": 0, "character": 0}, "a\nb\nc\n")])
    c.wait_notification("window/logMessage", lambda p: p.get("type") == 1, 5, since=mark)
    mark = c.mark()
    change(c, uri, 10, [edit({"line": n + 5, "character": 0}, {"line": n + 6, "character": 0}, "x")])
    c.wait_notification("window/logMessage", lambda p: p.get("type") == 1, 5, since=mark)
    rid = inline(c, uri, {"line": n + 1, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS,
                 "past the last line after the rejected changes (the document changed?)")
    items3 = complete(c, uri, pos, "inlineCompletion after the rejected changes")
    check([i["insertText"] for i in items3] == [i["insertText"] for i in items2],
          "a rejected didChange changed the suggestion: %r vs %r" % (items3, items2))
    # A full-text change (no range), version 11 is newer than 9 (10 was rejected).
    change(c, uri, 11, [{"text": "one line\n"}, {"text": "x\ny\nz"}])
    complete(c, uri, {"line": 2, "character": 1}, "the last line after a full change")
    rid = inline(c, uri, {"line": 3, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "past the last line of 'x\\ny\\nz'")
    # Unknown and closed documents.
    rid = inline(c, k.uri("never_opened.cpp"), {"line": 0, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "an unknown document")
    c.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    rid = inline(c, uri, {"line": 0, "character": 0})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "a closed document")
    finish(c)


def case_documents_utf16(k):
    documents_for(k, "utf-16")


def case_documents_utf8(k):
    documents_for(k, "utf-8")


def case_documents_utf32(k):
    documents_for(k, "utf-32")


def case_selected_completion(k):
    c = k.start()
    initialize(c, options=FAST)
    uri = k.uri()
    text = SOURCE.replace("s += \n", "s += v.si\n")
    open_doc(c, uri, text)
    start, end = pos_of(text, "s += ", after=True), pos_of(text, "s += v.si")
    selected = {"range": {"start": start, "end": end}, "text": "v.size()"}
    rid = inline(c, uri, end, selected=selected)
    res = expect_result(c.wait_response(rid, 30), rid, "inlineCompletion with selectedCompletionInfo")
    check(isinstance(res, dict) and isinstance(res.get("items"), list), "result %r" % res)
    nonempty(res["items"], "inlineCompletion with selectedCompletionInfo")
    for item in res["items"]:
        check(item.get("range") == selected["range"],
              "item range %r, expected the selected range %r" % (item.get("range"), selected["range"]))
        check(item.get("insertText", "").startswith("v.size()"),
              "insertText %r does not start with the selected text" % item.get("insertText"))
    finish(c)


# ---------------------------------------------------------------------------------------
# cases: cancellation, supersede, content modified

def case_cancel(k):
    """A cancelled debouncing request is answered RequestCancelled at once (before a stats
    request sent after the cancel), with no engine work; the debounce is 60 s, so only the
    cancel can answer it."""
    c = k.start()
    initialize(c, options={"maxTokens": 16, "debounceMs": LONG_DEBOUNCE, "seed": 1})
    wait_ready(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos = pos_of(SOURCE, "s += ")
    s0 = stats(c)
    rid = inline(c, uri, pos, trigger=2)  # automatic: debounced
    wait_pending(c, "an automatic request after the model is ready", debouncing=1)
    c.cancel(rid)
    sid = c.request("infilld/stats")
    expect_error(c.wait_response(rid, 30), rid, CANCELLED, "a cancelled pending request")
    after = c.wait_for(lambda m: is_response(m) and m.get("id") == sid, 30, what="stats reply")
    reply = [r for r in c.messages if is_response(r.msg) and r.msg.get("id") == rid][0]
    check(reply.index < after.index, "the cancelled request was answered after a stats "
          "request sent after the cancel: not at once")
    s1 = expect_result(after.msg, sid, "stats after the cancel")
    check(idle(s1), "after the cancel the request is still pending: %s" % json.dumps(s1["pending"]))
    c.cancel(rid)            # already answered: nothing more
    c.cancel(987654)         # never sent: nothing
    c.cancel("no-such-id")
    s2 = stats(c)
    check(delta(s2, s0, "requests") == 1 and delta(s2, s0, "cancelled") == 1,
          "stats after one cancelled request: %s" % json.dumps(s2))
    check(delta(s2, s0, "forwards") == 0, "a request cancelled while debouncing ran %d forwards"
          % delta(s2, s0, "forwards"))
    check(delta(s2, s0, "latency") == 0, "a cancelled request counted in latencyMs")
    finish(c)  # check_replies: exactly one reply to the cancelled request


def case_cancel_storm(k):
    c = k.start()
    initialize(c, options=dict(FAST, cacheSize=0, speculative=False))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos = pos_of(SOURCE, "s += ")
    s0 = stats(c)
    ids = [inline(c, uri, pos, trigger=2) for _ in range(50)]
    replies = [c.wait_response(rid, 60) for rid in ids]
    results = cancelled = 0
    for n, (rid, resp) in enumerate(zip(ids, replies)):
        if "error" in resp and n < len(ids) - 1:
            expect_error(resp, rid, CANCELLED, "storm request %d" % n)
            cancelled += 1
        else:
            nonempty(check_items(expect_result(resp, rid, "storm request %d" % n), pos),
                     "storm request %d" % n)
            results += 1
    # Nothing left in the server that could still answer one of them.
    wait_pending(c, "after the storm's replies")
    for rid in ids:
        check(len(c.responses(rid)) == 1, "storm id %r answered %d times" % (rid, len(c.responses(rid))))
    s1 = stats(c)
    d = {key: delta(s1, s0, key) for key in STATS_KEYS + ("latency",)}
    k.note("%d results, %d cancelled; stats delta %s" % (results, cancelled, json.dumps(d)))
    check(d["requests"] == 50, "stats requests +%d, expected +50" % d["requests"])
    check(d["cancelled"] + d["superseded"] == cancelled,
          "cancelled + superseded +%d, but %d replies were -32800"
          % (d["cancelled"] + d["superseded"], cancelled))
    check(d["completed"] + d["empty"] == results and d["latency"] == results,
          "completed + empty +%d, latencyMs.count +%d, but %d replies were results"
          % (d["completed"] + d["empty"], d["latency"], results))
    check(d["errors"] == 0 and d["contentModified"] == 0, "errors or contentModified counted")
    finish(c)


def case_supersede_scope(k):
    """A completion request supersedes the pending inlineCompletion of its own document,
    and only that one (60 s debounces: only the supersede or a cancel answers them)."""
    c = k.start()
    initialize(c, options={"maxTokens": 16, "debounceMs": LONG_DEBOUNCE, "seed": 1})
    wait_ready(c)
    uri1, uri2 = k.uri("one.cpp"), k.uri("two.cpp")
    open_doc(c, uri1, SOURCE)
    open_doc(c, uri2, SOURCE)
    pos = pos_of(SOURCE, "s += ")
    s0 = stats(c)
    a = inline(c, uri1, pos, trigger=2)
    b = inline(c, uri2, pos, trigger=2)
    wait_pending(c, "two automatic requests, one per document", debouncing=2)
    comp = c.request("textDocument/completion", {"textDocument": {"uri": uri1}, "position": pos,
                                                 "context": {"triggerKind": 1}})
    expect_error(c.wait_response(a, 30), a, CANCELLED, "inlineCompletion superseded by completion")
    res = expect_result(c.wait_response(comp, 30), comp, "textDocument/completion")
    check(isinstance(res, dict) and res.get("isIncomplete") is True and
          isinstance(res.get("items"), list), "completion result %r" % res)
    check(len(res["items"]) == 1 and res["items"][0].get("insertText"),
          "the explicit completion has no suggestion: %r" % res)
    index = {r.msg.get("id"): r.index for r in c.messages if is_response(r.msg)}
    check(index[a] < index[comp], "the superseded request was answered after its successor, "
          "not at once")
    s1 = wait_pending(c, "the other document's request, still debouncing", debouncing=1)
    check(not c.responses(b), "the other document's request was answered: %r" % c.responses(b))
    check(delta(s1, s0, "superseded") == 1, "superseded +%d, expected +1" % delta(s1, s0, "superseded"))
    c.cancel(b)
    expect_error(c.wait_response(b, 30), b, CANCELLED, "the other document's request, cancelled")
    s2 = stats(c)
    check(delta(s2, s0, "superseded") == 1 and delta(s2, s0, "cancelled") == 1,
          "superseded +%d, cancelled +%d, expected +1 each"
          % (delta(s2, s0, "superseded"), delta(s2, s0, "cancelled")))
    finish(c)


def case_debounce_replaces(k):
    """Automatic requests within the debounce: each newer one replaces the older without
    any engine work, so the burst costs the forwards of one request. The burst and a stats
    request go in one write: the server reads them together, before any timer can fire."""
    c = k.start()
    debounce = 3000
    initialize(c, options={"maxTokens": 16, "debounceMs": debounce, "seed": 1, "speculative": False})
    wait_ready(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    s0 = stats(c)
    complete(c, uri, pos_of(SOURCE, "return "), "one explicit request")
    s1 = stats(c)
    one = delta(s1, s0, "forwards")
    pos = pos_of(SOURCE, "s += ")
    ids, sid = [c.new_id() for _ in range(5)], c.new_id()
    c.send_batch([{"jsonrpc": "2.0", "id": rid, "method": "textDocument/inlineCompletion",
                   "params": {"textDocument": {"uri": uri}, "position": pos,
                              "context": {"triggerKind": 2}}} for rid in ids] +
                 [{"jsonrpc": "2.0", "id": sid, "method": "infilld/stats"}])
    for n, rid in enumerate(ids[:-1]):
        expect_error(c.wait_response(rid, 30), rid, CANCELLED, "debounced request %d of 5" % n)
    mid = expect_result(c.wait_response(sid, 30), sid, "stats just after the burst")
    check(mid["pending"] == {"debouncing": 1, "waitingForModel": 0, "running": 0, "speculative": 0},
          "just after the burst, pending %s: expected the last request alone, debouncing"
          % json.dumps(mid["pending"]))
    check(delta(mid, s1, "forwards") == 0 and delta(mid, s1, "superseded") == 4,
          "just after the burst: forwards +%d (expected 0: nothing runs before the debounce), "
          "superseded +%d (expected 4)" % (delta(mid, s1, "forwards"), delta(mid, s1, "superseded")))
    nonempty(check_items(expect_result(c.wait_response(ids[-1], 60), ids[-1],
                                       "the last debounced request"), pos),
             "the last debounced request")
    s2 = stats(c)
    burst = delta(s2, s1, "forwards")
    k.note("one request %d forwards, the burst %d" % (one, burst))
    check(one > 0 and 0 < burst <= one, "the burst of 5 ran %d forwards, one request %d"
          % (burst, one))
    check(delta(s2, s1, "superseded") == 4, "superseded +%d, expected +4" % delta(s2, s1, "superseded"))
    finish(c)


def case_debounce_while_loading(k):
    """An automatic request that arrives while the model loads still waits its debounce
    (initialize, initialized, didOpen, the request and a stats request in one write,
    before the load ends): after the model is ready it is still debouncing, with no
    forwards (a 60 s debounce: the state cannot have moved on however slow the load);
    a cancel then answers it. debounce_replaces shows a debounce ending in an answer."""
    c = k.start()
    uri = k.uri()
    pos = pos_of(SOURCE, "s += ")
    init, req, sid = c.new_id(), c.new_id(), c.new_id()
    c.send_batch([
        {"jsonrpc": "2.0", "id": init, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": {},
                    "initializationOptions": {"maxTokens": 16, "debounceMs": 60000, "seed": 1}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "cpp", "version": 1, "text": SOURCE}}},
        {"jsonrpc": "2.0", "id": req, "method": "textDocument/inlineCompletion",
         "params": {"textDocument": {"uri": uri}, "position": pos,
                    "context": {"triggerKind": 2}}},
        {"jsonrpc": "2.0", "id": sid, "method": "infilld/stats"}])
    expect_result(c.wait_response(init, 15), init, "initialize")
    loading = expect_result(c.wait_response(sid, 15), sid, "stats while the model loads")
    check(loading["pending"]["waitingForModel"] == 1 and loading["forwards"] == 0,
          "the request sent with initialize is not waiting for the model: pending %s"
          % json.dumps(loading["pending"]))
    ready = c.wait_notification("didChangeStatus", lambda p: p.get("state") == "ready", 15)
    s1 = stats(c)
    check(s1["pending"]["debouncing"] == 1 and s1["pending"]["running"] == 0 and
          s1["forwards"] == 0, "once the model is ready the automatic request is not "
          "debouncing (pending %s, forwards %d)" % (json.dumps(s1["pending"]), s1["forwards"]))
    c.cancel(req)
    resp = c.wait_response(req, 15)
    expect_error(resp, req, CANCELLED, "the debouncing request, cancelled")
    reply = [r for r in c.messages if r.msg is resp][0]
    check(ready.index < reply.index, "answered before the model was ready")
    check(stats(c)["forwards"] == 0, "the cancelled request ran the engine")
    finish(c)


def case_content_modified(k):
    c = k.start()
    initialize(c, options={"maxTokens": 16, "debounceMs": LONG_DEBOUNCE, "seed": 1})
    wait_ready(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos = pos_of(SOURCE, "s += ")
    s0 = stats(c)
    rid = inline(c, uri, pos, trigger=2)
    wait_pending(c, "an automatic request", debouncing=1)
    change(c, uri, 2, [edit(pos, pos, "x")])
    expect_error(c.wait_response(rid, 30), rid, CONTENT_MODIFIED, "a pending request, then didChange")
    check(idle(stats(c)), "the request answered ContentModified is still pending")
    # Without debounce the request may already be done: -32801 or a result, once.
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"debounceMs": 0}}})
    version, outcomes, text = 3, [], SOURCE[:index_of(SOURCE, pos)] + "x" + SOURCE[index_of(SOURCE, pos):]
    for n in range(5):
        p = pos_of(text, "s += x" + "y" * n)
        rid = inline(c, uri, p)
        change(c, uri, version, [edit(p, p, "y")])
        text = text[:index_of(text, p)] + "y" + text[index_of(text, p):]
        version += 1
        resp = c.wait_response(rid, 30)
        if "error" in resp:
            expect_error(resp, rid, CONTENT_MODIFIED, "request then didChange")
            outcomes.append("modified")
        else:
            nonempty(check_items(expect_result(resp, rid), p), "request then didChange")
            outcomes.append("result")
    s1 = stats(c)
    k.note("undebounced outcomes %s" % outcomes)
    check(delta(s1, s0, "contentModified") == 1 + outcomes.count("modified"),
          "stats contentModified +%d, expected +%d" % (delta(s1, s0, "contentModified"),
                                                       1 + outcomes.count("modified")))
    check(delta(s1, s0, "completed") == outcomes.count("result"),
          "stats completed +%d, but %d replies had items" % (delta(s1, s0, "completed"),
                                                             outcomes.count("result")))
    finish(c)


def case_shutdown_pending(k):
    c = k.start()
    initialize(c, options={"maxTokens": 16, "debounceMs": LONG_DEBOUNCE, "seed": 1})
    wait_ready(c)
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    rid = inline(c, uri, pos_of(SOURCE, "s += "), trigger=2)
    wait_pending(c, "an automatic request", debouncing=1)
    sid = c.request("shutdown")
    pending = c.wait_for(lambda m: is_response(m) and m.get("id") == rid, 30, what="pending reply")
    done = c.wait_for(lambda m: is_response(m) and m.get("id") == sid, 30, what="shutdown reply")
    check(done.msg.get("result", "absent") is None, "shutdown reply %r" % done.msg)
    check("error" in pending.msg and pending.msg["error"].get("code") in (CANCELLED, -32802),
          "the pending request at shutdown: %r, expected RequestCancelled" % pending.msg)
    check(pending.index < done.index, "the pending request was answered after shutdown's reply")
    c.notify("exit")
    check(c.wait_exit(10) == 0, "exit status not 0")
    check_replies(c)


# ---------------------------------------------------------------------------------------
# cases: cache, typed-through, acceptance, streaming

def case_cache(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos, item = find_suggestion(c, uri, SOURCE, NEEDLES)
    s0 = stats(c)
    items = complete(c, uri, pos, "the same request again")
    s1 = stats(c)
    check(items and items[0]["insertText"] == item["insertText"],
          "the repeated request gave %r, first %r" % (items, item))
    check(delta(s1, s0, "cacheHits") == 1, "cacheHits +%d, expected +1" % delta(s1, s0, "cacheHits"))
    check(delta(s1, s0, "forwards") == 0, "a cache hit ran %d forwards" % delta(s1, s0, "forwards"))
    check(delta(s1, s0, "requests") == 1 and delta(s1, s0, "completed") == 1,
          "stats after a cache hit: %s" % json.dumps(s1))
    finish(c)


def case_max_document_bytes(k):
    """A document over maxDocumentBytes is tracked, not completed: one logMessage when it
    opens over the limit, empty answers without a forward while it is, completions again
    once an edit brings it back under."""
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False, maxDocumentBytes=4096))
    small_uri, uri = k.uri("small.cpp"), k.uri()
    open_doc(c, small_uri, SOURCE)
    pos, _ = find_suggestion(c, small_uri, SOURCE, NEEDLES)  # a place that gets a suggestion
    big = SOURCE + "// padding\n" * 500
    check(len(big.encode()) > 4096, "test bug: the document is not over the limit")
    mark = c.mark()
    open_doc(c, uri, big)
    c.wait_notification("window/logMessage", lambda p: "maxDocumentBytes" in p.get("message", "") and
                        "not parsed or completed" in p.get("message", ""), 5, since=mark)
    s0 = stats(c)
    items = complete(c, uri, pos, "the large document", allow_empty=True)
    check(items == [], "the large document was completed: %r" % (items,))
    s1 = stats(c)
    check(delta(s1, s0, "forwards") == 0, "the large document ran %d forwards" % delta(s1, s0, "forwards"))
    # Cut back under the limit (to the small document's text): completed again.
    change(c, uri, 2, [edit(position(big, len(SOURCE)), position(big, len(big)), "")])
    complete(c, uri, pos, "back under the limit")
    finish(c)


def advance(pos, s, encoding):
    line, ch = pos["line"], pos["character"]
    for x in s:
        if x == "\n":
            line, ch = line + 1, 0
        else:
            ch += units(x, encoding)
    return {"line": line, "character": ch}


def case_typed_through(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos, item = find_suggestion(c, uri, SOURCE, NEEDLES, min_len=2)
    s = item["insertText"]
    s0 = stats(c)
    change(c, uri, 2, [edit(pos, pos, s[0])])
    pos2 = advance(pos, s[0], "utf-16")
    items = complete(c, uri, pos2, "after typing the suggestion's first character")
    s1 = stats(c)
    check(items and items[0]["insertText"] == s[1:],
          "typed %r of %r: got %r, expected the rest %r" % (s[0], s, items, s[1:]))
    check(delta(s1, s0, "typedThroughHits") == 1,
          "typedThroughHits +%d, expected +1" % delta(s1, s0, "typedThroughHits"))
    check(delta(s1, s0, "forwards") == 0,
          "a typed-through hit ran %d forwards" % delta(s1, s0, "forwards"))
    finish(c)


def case_accept(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos, item = find_suggestion(c, uri, SOURCE, NEEDLES)
    s0 = stats(c)
    rid = c.request("workspace/executeCommand", {"command": item["command"]["command"],
                                                 "arguments": item["command"]["arguments"]})
    check(expect_result(c.wait_response(rid, 10), rid, "executeCommand infilld.accept") is None,
          "infilld.accept did not answer null")
    wait_stats(c, lambda s: delta(s, s0, "accepted") == 1, what="accepted +1 after the command")
    c.notify("textDocument/didShowCompletion", {"item": item})
    wait_stats(c, lambda s: delta(s, s0, "shown") == 1, what="shown +1")
    c.notify("textDocument/didPartiallyAcceptCompletion", {"item": item, "acceptedLength": 1})
    s1 = wait_stats(c, lambda s: delta(s, s0, "partiallyAccepted") == 1, what="partiallyAccepted +1")
    check(delta(s1, s0, "accepted") == 1, "accepted changed by a partial acceptance")
    # A client that never runs the command: inserting the suggestion counts as acceptance.
    text = SOURCE
    for needle in NEEDLES:
        p2 = pos_of(text, needle)
        if p2 == pos:
            continue
        items = complete(c, uri, p2)
        if items and items[0]["insertText"]:
            break
    else:
        raise Fail("no second suggestion")
    s2 = stats(c)
    change(c, uri, 2, [edit(p2, p2, items[0]["insertText"])])
    wait_stats(c, lambda s: delta(s, s2, "accepted") == 1,
               what="accepted +1 after a didChange inserting the suggestion")
    # What VS Code does: the edit, then the command: one acceptance, not two.
    rid = c.request("workspace/executeCommand", {"command": "infilld.accept",
                                                 "arguments": items[0]["command"]["arguments"]})
    check(expect_result(c.wait_response(rid, 10), rid, "infilld.accept after the edit") is None,
          "infilld.accept did not answer null")
    s3 = stats(c)  # the didChange and the command were handled before this request
    check(delta(s3, s2, "accepted") == 1, "accepted +%d after the edit and the command for "
          "the same suggestion, expected +1" % delta(s3, s2, "accepted"))
    # An item is accepted once however often it is reported; an id never given is InvalidParams.
    rid = c.request("workspace/executeCommand", {"command": "infilld.accept",
                                                 "arguments": item["command"]["arguments"]})
    expect_result(c.wait_response(rid, 10), rid, "infilld.accept of the first id again")
    s4 = stats(c)
    check(delta(s4, s3, "accepted") == 0, "accepting the first item again counted +%d"
          % delta(s4, s3, "accepted"))
    rid = c.request("workspace/executeCommand", {"command": "infilld.accept",
                                                 "arguments": [{"id": "c999999"}]})
    expect_error(c.wait_response(rid, 10), rid, INVALID_PARAMS, "infilld.accept of an id never given")
    check(delta(stats(c), s4, "accepted") == 0, "an unknown id counted as an acceptance")
    finish(c)


def case_speculative(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=True))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos, item = find_suggestion(c, uri, SOURCE, NEEDLES)
    s0 = wait_stats(c, lambda s: s["speculative"] == 1 and idle(s), timeout=30,
                    what="a speculative suggestion after the first one, finished")
    text = item["insertText"]
    change(c, uri, 2, [edit(pos, pos, text)])
    pos2 = advance(pos, text, "utf-16")
    items = complete(c, uri, pos2, "at the end of the accepted suggestion")
    s1 = stats(c)
    check(delta(s1, s0, "cacheHits") == 1 and delta(s1, s0, "forwards") == 0,
          "after accepting, the speculative suggestion was not served from the cache: %s -> %s"
          % (json.dumps(s0), json.dumps(s1)))
    check(delta(s1, s0, "accepted") == 1,
          "inserting the suggestion did not count as accepted: %s" % json.dumps(s1))
    finish(c)


def case_streaming(k):
    c = k.start()
    initialize(c, options={"streaming": True, "maxTokens": 32, "debounceMs": 0, "seed": 1,
                           "speculative": False})
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    got_updates = 0
    ids, unprintable = [], []
    for needle in NEEDLES:
        pos = pos_of(SOURCE, needle)
        rid = inline(c, uri, pos)
        ids.append(rid)
        resp = c.wait_response(rid, 30)
        items = nonempty(check_items(expect_result(resp, rid), pos), "streaming after %r" % needle)
        reply_index = [r.index for r in c.messages if r.msg is resp][0]
        updates = [r for r in c.notifications("infilld/completionUpdate")
                   if (r.msg.get("params") or {}).get("id") == rid]
        texts = []
        for r in updates:
            p = r.msg["params"]
            check(r.index < reply_index, "an update for id %r after its reply" % rid)
            check(p.get("uri") == uri and isinstance(p.get("text"), str), "update params %r" % p)
            if not printable(p["text"]):
                unprintable.append(p["text"])
            texts.append(p["text"])
        for a, b in zip(texts, texts[1:]):
            check(b.startswith(a), "update texts do not grow: %r then %r" % (a, b))
        if updates:
            got_updates += 1
        if got_updates >= 2:
            break
    check(got_updates >= 1, "no infilld/completionUpdate for any request with a suggestion")
    finish(c)  # after the shutdown reply, every notification has arrived
    for r in c.notifications("infilld/completionUpdate"):
        check(r.msg["params"].get("id") in ids, "an update for an unknown id: %r" % r.msg)
    check(not unprintable, "%d update texts are not printable (control characters, or U+FFFD: "
          "invalid or incomplete UTF-8 replaced on the wire), e.g. %r"
          % (len(unprintable), unprintable[:3]))


def case_completion_fallback(k):
    c = k.start()
    initialize(c, options=dict(FAST, speculative=False))
    uri = k.uri()
    open_doc(c, uri, SOURCE)
    pos, item = find_suggestion(c, uri, SOURCE, NEEDLES)
    rid = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos,
                                                "context": {"triggerKind": 1}})
    res = expect_result(c.wait_response(rid, 30), rid, "textDocument/completion")
    check(isinstance(res, dict) and res.get("isIncomplete") is True and
          isinstance(res.get("items"), list) and len(res["items"]) == 1,
          "completion result %s" % json.dumps(res)[:400])
    ci = res["items"][0]
    suggestion = item["insertText"]
    check(ci.get("insertText") == suggestion, "completion insertText %r, inline %r"
          % (ci.get("insertText"), suggestion))
    check(ci.get("label") == suggestion.split("\n")[0], "label %r" % ci.get("label"))
    te = ci.get("textEdit")
    check(isinstance(te, dict) and te.get("range") == {"start": pos, "end": pos} and
          te.get("newText", suggestion) == suggestion, "textEdit %r" % te)
    finish(c)


# ---------------------------------------------------------------------------------------
# cases: model failure, disconnects, status, progress, settings, TCP



if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
