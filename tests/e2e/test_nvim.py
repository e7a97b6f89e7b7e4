#!/usr/bin/env python3
"""End to end: the real Neovim LSP client drives `infilld lsp` through an inline completion.

For each case this writes a source file, starts `nvim --headless` with
tests/e2e/nvim_inline.lua, which starts `infilld lsp --model DIR` with Neovim's own client
(vim.lsp.start_client), deletes a multi-byte character with `x` and types text in Insert
mode (Neovim sends the incremental didChange), requests textDocument/inlineCompletion at
the cursor, sends didShowCompletion, types the suggestion's first characters and gets the
rest from the server's cache, inserts that item at its range (converted from the
negotiated position encoding), runs its command (workspace/executeCommand
infilld.accept), requests again, reads infilld/stats and shuts the server down. The script
checks every step; this runner checks its result again on its own (the final buffer, the
item's position in the negotiated encoding), and checks that the server's suggestions
equal `infilld complete FILE:LINE:COL` on the text the editor holds (a server whose copy
of the document went wrong would complete another text).

The model is a tiny random checkpoint with printable output (tools/tiny_checkpoint.py,
dream bf16, seed 1, printable=True): its text is random but deterministic. When a request
answers an empty list (or, in a type-through case, an item whose first characters cannot
be typed), the script types the next string of the case and asks again. A type-through
case must type through: the rest comes from the server's cache (one more typedThroughHits
in infilld/stats; with speculation off, not one more forward pass).

    test_nvim.py --infilld PATH [--nvim PATH] [--workdir DIR] [--only SUBSTRING]
                 [--timeout SECONDS] [--verbose]

Prints `ok`/`FAIL` lines, then the last line `N passed, M failed, K skipped`; exit 1 on
failure. Without Neovim (0.7 or newer) it prints `skipped: ...` and exits 0 (a failure with
INFILLD_REQUIRE_ALL=1). With --workdir the
files stay: each case's folder holds the source file, result.json and the Neovim LSP
log (cache/nvim/lsp.log: the JSON-RPC transcript at debug level).
"""
import json
import os
import sys

HERE_E2E = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE_E2E)
import nvim_harness  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(HERE_E2E), "serve"))
from test_serve import Served  # noqa: E402
from nvim_harness import CURSOR, HERE, PYTHON_FILE, NvimRun, cli_complete  # noqa: E402

SCRIPT = os.path.join(HERE, "nvim_inline.lua")
DEL_OPEN, DEL_CLOSE = "\u27e6", "\u27e7"  # around the character deleted with `x`

# Multi-byte characters before the cursor on its line: 2-byte (é, ö), 3-byte (€) and
# 4-byte ones outside the BMP (🙂, 😀: two UTF-16 units), so UTF-8, UTF-16 and UTF-32
# columns all differ. 😀 is deleted with `x` before typing (a didChange whose range
# covers one character: 4 UTF-8 units, 2 UTF-16 units, 1 UTF-32 unit): the shared C file
# with 😀 added between the brackets.
C_FILE = nvim_harness.C_FILE.replace("\U0001F642 ", "\U0001F642 " + DEL_OPEN + "\U0001F600" + DEL_CLOSE + " ", 1)

C_TYPED = ["count(", "\"x\")", " + 1", " * 2", " - n"]


def case(name, fname, text, typed, offered, encoding, type_through=2, streaming=False,
         speculative=True, remote=False):
    return {"name": name, "file": fname, "text": text, "typed": typed, "offered": offered,
            "encoding": encoding, "type_through": type_through, "streaming": streaming,
            "speculative": speculative, "remote": remote}


CASES = [
    case("python, no encoding offered (UTF-16)", "demo.py", PYTHON_FILE,
         ["total = ", "area(", "r) + 1", " * 2", " - r"], [], "utf-16"),
    case("c, multi-byte line, no encoding offered (UTF-16)", "demo.c", C_FILE, C_TYPED, [], "utf-16"),
    case("c, multi-byte line, UTF-8 offered first, no speculation", "demo.c", C_FILE, C_TYPED,
         ["utf-8", "utf-16"], "utf-8", speculative=False),
    case("c, multi-byte line, UTF-32 preferred after an unknown one", "demo.c", C_FILE, C_TYPED,
         ["x-unknown", "utf-32", "utf-8"], "utf-32"),
    case("c, multi-byte line, accepted at once", "demo.c", C_FILE, C_TYPED, [], "utf-16",
         type_through=0),
    case("python, streaming updates", "demo.py", PYTHON_FILE,
         ["total = ", "area(", "r) + 1", " * 2", " - r"], [], "utf-16", streaming=True),
    # The middles filled by `infilld serve` on the same checkpoint (backend kind infilld):
    # the cross-check against `infilld complete` run here still holds.
    case("c, multi-byte line, through infilld serve", "demo.c", C_FILE, C_TYPED, [], "utf-16",
         speculative=False, remote=True),
]


def units(s, enc):
    """Length of str s in code units of enc."""
    if enc == "utf-8":
        return len(s.encode("utf-8"))
    if enc == "utf-16":
        return len(s.encode("utf-16-le")) // 2
    return len(s)


def str_index(line, n_units, enc):
    """Index into str `line` of a position n_units code units in; None if not a boundary."""
    count = 0
    for i, ch in enumerate(line):
        if count == n_units:
            return i
        if count > n_units:
            return None
        count += units(ch, enc)
    return len(line) if count == n_units else None


class Layout:
    """The case's text read: the file as written, where the user deletes and types."""

    def __init__(self, text):
        before, after = text.split(CURSOR)
        self.row = before.count("\n")
        file_text = before + after
        lines = file_text.split("\n")
        line = lines[self.row]
        self.del_chars = line.find(DEL_OPEN)  # str index, -1 when nothing is deleted
        if self.del_chars >= 0:
            deleted = line[self.del_chars + 1]
            assert line[self.del_chars + 2] == DEL_CLOSE, "one character between the brackets"
            self.deleted = deleted
        else:
            self.deleted = ""
        plain = line.replace(DEL_OPEN, "").replace(DEL_CLOSE, "")
        head = before.rsplit("\n", 1)[-1].replace(DEL_OPEN, "").replace(DEL_CLOSE, "")
        lines[self.row] = plain
        self.file_text = "\n".join(lines)
        self.col_bytes = len(head.encode("utf-8"))
        self.del_bytes = len(plain[:self.del_chars].encode("utf-8")) if self.deleted else -1
        # after the deletion: the lines the user types into, and the cursor's str index
        self.base = list(lines)
        if self.deleted:
            self.base[self.row] = plain[:self.del_chars] + plain[self.del_chars + 1:]
        self.col_chars = len(head) - (1 if self.deleted else 0)

    def with_text(self, text):
        """The lines with `text` inserted at the cursor (after the deletion)."""
        line = self.base[self.row]
        joined = "\n".join(self.base[:self.row]
                           + [line[:self.col_chars] + text + line[self.col_chars:]]
                           + self.base[self.row + 1:])
        return joined.split("\n")


def verify(c, lay, r):
    """Runner-side checks of a result the script calls ok. Returns a list of problems."""
    problems = []
    enc = r.get("encoding")
    if enc != c["encoding"]:
        problems.append("encoding %r, expected %r" % (enc, c["encoding"]))
    if r.get("file_lines") != lay.file_text.split("\n")[:-1]:
        problems.append("the buffer opened as %r" % r.get("file_lines"))
    if (r.get("deleted") or "") != lay.deleted:
        problems.append("deleted %r, expected %r" % (r.get("deleted"), lay.deleted))
    typed = r.get("typed", "")
    if not any("".join(c["typed"][:k + 1]) == typed for k in range(len(c["typed"]))):
        problems.append("typed %r is not a run of the case's strings" % typed)
    item = r.get("item") or {}
    text = item.get("insertText", "")
    if not isinstance(text, str) or text == "":
        problems.append("the item's insertText %r is empty" % (text,))
    # the item's position, read in the negotiated encoding, is right after the typed text
    typed_line = lay.with_text(typed)[lay.row]
    start = (item.get("range") or {}).get("start") or {}
    idx = str_index(typed_line, start.get("character", -1), enc or "utf-16")
    if start.get("line") != lay.row or idx != lay.col_chars + len(typed):
        problems.append("item.range.start %r is str index %r of %r, expected %d"
                        % (start, idx, typed_line, lay.col_chars + len(typed)))
    want_char = units(typed_line[:lay.col_chars + len(typed)], enc or "utf-16")
    if start.get("character") != want_char:
        problems.append("item.range.start.character %r, expected %d in %s"
                        % (start.get("character"), want_char, enc))
    want = lay.with_text(typed + text)[:-1]  # the file's final newline is not a buffer line
    if r.get("buffer") != want:
        problems.append("buffer %r, expected %r" % (r.get("buffer"), want))
    tt = r.get("type_through")
    stats = r.get("stats") or {}
    if c["type_through"]:
        if not isinstance(tt, dict):
            problems.append("no type-through: %r" % (tt,))
        else:
            rest = ((tt.get("result") or {}).get("items") or [{}])[0].get("insertText") or ""
            through = tt.get("typed") or ""
            if len(through) != c["type_through"] or not rest or through + rest != text:
                problems.append("typed through %r (%d characters), then the rest %r: not %r"
                                % (through, c["type_through"], rest, text))
            before = r.get("stats_before_type_through") or {}
            after = r.get("stats_after_type_through") or {}
            if after.get("typedThroughHits") != (before.get("typedThroughHits") or 0) + 1:
                problems.append("typedThroughHits %r, then %r: the rest did not come from the cache"
                                % (before.get("typedThroughHits"), after.get("typedThroughHits")))
            if not c["speculative"] and after.get("forwards") != before.get("forwards"):
                problems.append("forwards %r, then %r: typing through ran the model"
                                % (before.get("forwards"), after.get("forwards")))
    elif isinstance(tt, dict):
        problems.append("typed through %r in a case that accepts at once" % tt.get("typed"))
    if c["remote"] and not str(stats.get("device", "")).startswith("remote: infilld http://127.0.0.1:"):
        problems.append("stats.device %r: not the remote backend" % stats.get("device"))
    if c["remote"] and stats.get("forwards") != 0:
        problems.append("stats.forwards %r: the model ran here, not in infilld serve" % stats.get("forwards"))
    if not isinstance(stats.get("accepted"), int) or stats["accepted"] < 1:
        problems.append("stats.accepted %r" % stats.get("accepted"))
    if (r.get("exit") or {}).get("code") != 0:
        problems.append("server exit %r" % r.get("exit"))
    return problems


def cross_check(c, lay, r, binary, model_dir, d, timeout):
    """The server's suggestions against `infilld complete` on the editor's text: the same
    context gives the same (deterministic) text, so a server whose copy of the document
    differs from the editor's answers something else. The CLI may end in U+FFFD (a token
    cut inside a UTF-8 sequence) where the server leaves the partial character out."""
    problems = []
    typed = r.get("typed", "")
    checks = [("first item", lay.with_text(typed), lay.row, lay.col_chars + len(typed),
               (r.get("item") or {}).get("insertText"))]
    text = (r.get("item") or {}).get("insertText", "")
    # The request after acceptance is cross-checked whether it answered or not: an empty
    # answer must be what `infilld complete` gives there too.
    answered = (r.get("after_accept") or {}).get("result")
    if isinstance(answered, dict):
        after = answered.get("items") or []
        final = lay.with_text(typed + text)
        joined = "\n".join(final)
        # the cursor after the suggestion: its line and str column
        head = "\n".join(lay.with_text(typed + text + CURSOR)).split(CURSOR)[0]
        row = head.count("\n")
        col = len(head.rsplit("\n", 1)[-1])
        assert joined.split("\n")[row][:col] == head.rsplit("\n", 1)[-1]
        checks.append(("item after acceptance", final, row, col, after[0].get("insertText") if after else ""))
    for what, lines, row, col, got in checks:
        want, err = cli_complete(binary, model_dir, d, c["file"], lines[:-1] if lines[-1] == "" else lines,
                                 row, col, timeout)
        if err:
            problems.append("cross-check (%s): %s" % (what, err))
        elif got is None or want.rstrip("\ufffd") != got:
            problems.append("cross-check (%s): the server suggested %r, `infilld complete` on the "
                            "editor's text gives %r: the server's copy of the document differs?"
                            % (what, got, want))
    return problems


def run_script(c, lay, run, nvim, binary, model_dir, served, timeout):
    """Runs the case's Neovim script; its result.json."""
    backend = {"kind": "infilld", "url": "http://127.0.0.1:%d" % served.port} if served else None
    return run.run(nvim, SCRIPT, {
        "INFILLD_BIN": binary,
        "INFILLD_MODEL_DIR": model_dir,
        "INFILLD_E2E_FILE": run.src,
        "INFILLD_E2E_RESULT": run.result_path,
        "INFILLD_E2E_LINE": str(lay.row),
        "INFILLD_E2E_COL": str(lay.col_bytes),
        "INFILLD_E2E_DELETE_COL": str(lay.del_bytes),
        "INFILLD_E2E_TYPED": json.dumps(c["typed"]),
        "INFILLD_E2E_TYPE_THROUGH": str(c["type_through"]),
        "INFILLD_E2E_ENCODINGS": ",".join(c["offered"]),
        "INFILLD_E2E_STREAMING": "1" if c["streaming"] else "0",
        "INFILLD_E2E_SPECULATIVE": "1" if c["speculative"] else "0",
        "INFILLD_E2E_BACKEND": json.dumps(backend) if backend else "",
        "INFILLD_E2E_WAIT_MS": "30000",
    }, timeout, unset=("INFILLD_MODEL",))


def run_case(c, nvim, binary, model_dir, base, timeout, verbose):
    name = c["name"]
    lay = Layout(c["text"])
    run = NvimRun(base, name, c["file"], lay.file_text)
    d = run.dir
    served = Served(binary, model_dir) if c["remote"] else None
    try:
        r = run_script(c, lay, run, nvim, binary, model_dir, served, timeout)
    finally:
        if served:
            served.stop()

    def checks():
        return (verify(c, lay, r)
                or cross_check(c, lay, r, binary, model_dir, d, timeout))

    problems = run.problems(checks, "E2E OK")
    if problems:
        details = []
        if r is not None:
            for a in r.get("attempts") or []:
                details.append("attempt: typed %r at %r -> %s" % (a.get("typed"), a.get("position"),
                               json.dumps(a.get("result") if a.get("err") is None else {"error": a.get("err")})))
            if r.get("type_through"):
                details.append("type through: %s" % json.dumps(r["type_through"]))
            if r.get("stats"):
                details.append("stats: %s" % json.dumps(r["stats"]))
        run.report_failure(problems, details, 40, 600)
        return False
    item = r["item"]
    stats = r.get("stats") or {}
    tt = r.get("type_through")
    tt_desc = ("typed through %r, then %r" % (tt["typed"], tt["result"]["items"][0]["insertText"])
               if isinstance(tt, dict) else "accepted at once")
    after = ((r.get("after_accept") or {}).get("result") or {}).get("items") or []
    stream = (", %d update(s)" % len(r.get("stream") or [])) if c["streaming"] else ""
    print("ok   %s: %s, deleted %r, typed %r, item %r after %d request(s)%s, %s, accepted=%s, "
          "next request %d item(s)"
          % (name, r["encoding"], r.get("deleted", ""), r["typed"], item["insertText"],
             len(r["attempts"]), stream, tt_desc, stats.get("accepted"), len(after)))
    if verbose:
        print("  stats: %s" % json.dumps(stats))
        for n in r.get("notifications") or []:
            print("  server: %s %s" % (n.get("method"), json.dumps(n.get("params"))[:300]))
    return True


def main(argv=None):
    return nvim_harness.main(__doc__, CASES, run_case, "infilld-e2e-",
                             "print stats and server notifications", argv, printable=True)


if __name__ == "__main__":
    sys.exit(main())
