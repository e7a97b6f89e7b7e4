#!/usr/bin/env python3
"""A soak: a seeded random LSP session of 10,000 messages against the real server, run by
CI on the release build and under ASan + UBSan (docs/lsp.md). See transcript_harness.py.

Three sessions (one per position encoding: UTF-8, UTF-16, UTF-32) share the 10,000
messages: valid and invalid ones mixed. Edits with random ranges (valid, past the line's
end, inside a character, past the last line, backwards, stale versions), inline and
plain completion requests at valid and invalid positions, cancels of recent requests,
settings changes (good and bad values), opens and closes, malformed bodies, unknown
methods, statistics, and one model reload (another folder) in the middle of each session.
Every 100 messages the client pauses until its requests are answered, as a user does.

The client keeps its own copy of every document, applying each change by the rules of
docs/lsp.md and src/context/document.h (a change with any invalid edit is refused whole,
the text unchanged; an end before its start is invalid as positions or as offsets). Every
500 messages, and at the end, the server's copy (infilld/test/documentText, a request
only `--test-requests` turns on) must equal the client's. At the end every request was
answered exactly once, the stats count no broken promise, and the server exits with
status 0 after shutdown + exit (a sanitizer's report, a leak included, makes it fail).

    test_lsp_soak.py --infilld PATH [--workdir DIR] [--seed N] [--timeout SECONDS]
"""
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402

MESSAGES = 10000
ENCODINGS = ("utf-8", "utf-16", "utf-32")
PIECES = ["x", "y = 1", " ", "\n", "\r\n", "\r", "😀", "é", "𝄞", "中文", "(", ")", "    ", "# ☕", "\t", ""]
SETTINGS = [{"maxTokens": 8}, {"maxTokens": 16}, {"debounceMs": 0}, {"debounceMs": 5}, {"speculative": True},
            {"speculative": False}, {"cacheSize": 0}, {"cacheSize": 64}, {"streaming": True},
            {"streaming": False}, {"maxDocumentBytes": 1024}, {"maxDocumentBytes": 2097152},
            {"maxTokens": "many"}, {"debounceMs": -5}, {"alg": "nonsense"}, {"budget": 1}, {"threshold": 0.9},
            {"unknownKey": 1}, {"topP": "x"}, {"temperature": None}]


def split_lines(text):
    """(start, content end) of each LSP line: breaks are \\n, \\r\\n and a lone \\r."""
    lines, start = [], 0
    for m in re.finditer(r"\r\n|\r|\n", text):
        lines.append((start, m.start()))
        start = m.end()
    lines.append((start, len(text)))
    return lines


def lsp_position(text, index, encoding):
    """The LSP position of index `index` of `text` (breaks: \\n, \\r\\n, a lone \\r; an index
    inside a line break is the end of that line)."""
    lines = split_lines(text)
    for line, (start, end) in enumerate(lines):
        following = lines[line + 1][0] if line + 1 < len(lines) else len(text) + 1
        if index < following:
            return {"line": line, "character": sum(units(ch, encoding) for ch in text[start:min(index, end)])}
    raise AssertionError("index %d past the text" % index)


def offset_of(text, pos, encoding):
    """The index of an LSP position in `text`, or None where the server must refuse it."""
    line, character = pos["line"], pos["character"]
    lines = split_lines(text)
    if line < 0 or character < 0 or line >= len(lines):
        return None
    start, end = lines[line]
    n = 0
    for i in range(start, end):
        if n == character:
            return i
        w = units(text[i], encoding)
        if n + w > character:
            return None  # inside a character
        n += w
    return end  # at or past the line's end: clamped


class Doc:
    def __init__(self, uri, text):
        self.uri, self.text, self.version = uri, text, 1


class Soak:
    def __init__(self, k, c, rng, encoding, reload_model):
        self.k, self.c, self.rng, self.encoding, self.reload_model = k, c, rng, encoding, reload_model
        self.docs = {}
        self.recent = []  # ids of recent requests, for cancels
        self.opened = 0

    def random_pos(self, doc, valid=True):
        rng = self.rng
        if valid or rng.random() < 0.5:
            return lsp_position(doc.text, rng.randrange(len(doc.text) + 1), self.encoding)
        lines = len(split_lines(doc.text))
        return {"line": rng.randrange(-1, lines + 2), "character": rng.randrange(-1, 30)}

    def open(self):
        self.opened += 1
        uri = self.k.uri("soak_%s_%d.py" % (self.encoding, self.opened))
        doc = Doc(uri, "".join(self.rng.choice(PIECES) for _ in range(self.rng.randrange(0, 40))))
        self.docs[uri] = doc
        open_doc(self.c, uri, doc.text, language=self.rng.choice(["python", "cpp", "rust", "plaintext"]))

    def change(self, doc):
        rng = self.rng
        stale = rng.random() < 0.05
        version = doc.version if stale else doc.version + 1
        text, ok, changes = doc.text, not stale, []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if rng.random() < 0.03:
                new = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 20)))
                changes.append({"text": new})
                text = new
                continue
            start = self.random_pos(Doc("", text), valid=rng.random() < 0.8)
            end = dict(start) if rng.random() < 0.5 else self.random_pos(Doc("", text), valid=rng.random() < 0.8)
            if rng.random() < 0.3 and end["character"] >= 0:
                end = {"line": end["line"], "character": end["character"] + rng.randrange(0, 3)}
            new = rng.choice(PIECES) * rng.choice([1, 1, 2])
            changes.append(edit(start, end, new))
            a, b = offset_of(text, start, self.encoding), offset_of(text, end, self.encoding)
            # Refused: an invalid position, or an end before the start (as positions, or
            # as offsets once clamped).
            if a is None or b is None or b < a or (end["line"], end["character"]) < (start["line"], start["character"]):
                ok = False
            elif ok:
                text = text[:a] + new + text[b:]
        change(self.c, doc.uri, version, changes)
        if ok:
            doc.text, doc.version = text, version

    def request(self, method, params):
        rid = self.c.request(method, params)
        self.recent = (self.recent + [rid])[-20:]

    def step(self, i):
        rng, c = self.rng, self.c
        if not self.docs or rng.random() < 0.02:
            return self.open()
        doc = self.docs[rng.choice(sorted(self.docs))]
        r = rng.random()
        if r < 0.40:
            self.change(doc)
        elif r < 0.58:
            self.request("textDocument/inlineCompletion", {
                "textDocument": {"uri": doc.uri}, "position": self.random_pos(doc, rng.random() < 0.9),
                "context": {"triggerKind": rng.choice([1, 2])}})
        elif r < 0.63:
            self.request("textDocument/completion", {"textDocument": {"uri": doc.uri},
                                                     "position": self.random_pos(doc)})
        elif r < 0.70:
            if self.recent:
                c.cancel(rng.choice(self.recent))
        elif r < 0.74:
            c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": rng.choice(SETTINGS)}})
        elif r < 0.76 and len(self.docs) > 1:
            c.notify("textDocument/didClose", {"textDocument": {"uri": doc.uri}})
            del self.docs[doc.uri]
        elif r < 0.82:
            bad = rng.choice([
                b"{not json",
                b"42",
                b'{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":5}}',
                b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":null}',
                b'{"jsonrpc":"2.0","method":"$/cancelRequest","params":{}}'])
            c.send_raw(b"Content-Length: %d\r\n\r\n" % len(bad) + bad)
        elif r < 0.86:
            self.request(rng.choice(["no/such/method", "textDocument/inlineCompletion"]),
                         rng.choice([None, [], {"textDocument": {"uri": 7}}, {"position": "here"}]))
        elif r < 0.90:
            self.request("infilld/stats", None)
        else:
            self.request("textDocument/inlineCompletion", {
                "textDocument": {"uri": self.k.uri("never_opened.py")}, "position": {"line": 0, "character": 0}})
        if i == MESSAGES // len(ENCODINGS) // 2:
            c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"model": self.reload_model}}})

    def compare(self, where):
        for uri, doc in sorted(self.docs.items()):
            rid = self.c.request("infilld/test/documentText", {"uri": uri})
            got = expect_result(self.c.wait_response(rid, 120), rid, "documentText")
            check(got == {"version": doc.version, "text": doc.text},
                  "%s, %s: the server has version %r, text %r; the client version %d, text %r"
                  % (where, uri, got.get("version"), got.get("text", "")[:200], doc.version, doc.text[:200]))


def soak(k, encoding, seed):
    other = os.path.join(k.tmp, "tiny-reload-%s" % encoding)
    write_checkpoint(other, "dream", "bf16", seed=TINY_SEED + 1, printable=True)
    c = k.start(extra=["--test-requests"])
    result = initialize(c, options=dict(FAST, speculative=True), encodings=[encoding])
    check(result["capabilities"]["positionEncoding"] == encoding, "encoding not %s" % encoding)
    s = Soak(k, c, random.Random(seed), encoding, other)
    n = MESSAGES // len(ENCODINGS)
    for i in range(n):
        s.step(i)
        if i % 100 == 99:  # a pause in the typing: what is pending is answered (engine runs included)
            for rid in c.sent_request_ids()[-100:]:
                c.wait_response(rid, 120)
        if i % 500 == 499:
            s.compare("after message %d" % (i + 1))
    s.compare("at the end")
    st = stats(c, timeout=120)  # checks doubleReplies == dropped == 0
    k.note("%s: %d messages, %d requests; stats requests %d, completed %d, cancelled %d, superseded %d, "
           "contentModified %d, errors %d" % (encoding, len(c.sent), len(c.sent_request_ids()), st["requests"],
                                              st["completed"], st["cancelled"], st["superseded"],
                                              st["contentModified"], st["errors"]))
    finish(c, allow_null=sum(1 for _, m in c.sent if isinstance(m, bytes) and
                              (m.endswith(b"\r\n\r\n{not json") or m.endswith(b"\r\n\r\n42"))))


def case_soak_utf8(k):
    soak(k, "utf-8", 1)


def case_soak_utf16(k):
    soak(k, "utf-16", 2)


def case_soak_utf32(k):
    soak(k, "utf-32", 3)


if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
