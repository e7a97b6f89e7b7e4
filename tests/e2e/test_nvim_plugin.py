#!/usr/bin/env python3
"""End to end: the Neovim plugin (editors/nvim) in headless Neovim against `infilld lsp`.

Each case writes a source file and starts `nvim --headless` with tests/e2e/nvim_plugin.lua,
which puts editors/nvim on 'runtimepath', calls require("infilld").setup{bin, model, ...},
types into the file in Insert mode one character at a time until the plugin shows a
suggestion, checks the ghost text (extmarks in the "infilld" namespace: virt_text is the
suggestion's first line, virt_lines the others), then accepts it with <Tab>, accepts a
word (<C-Right>) and a line (<C-Down>) before the rest, or dismisses it (<C-]>, leaving
Insert mode, moving the cursor), reads infilld/stats and stops the server. This runner
checks the result again: the final buffer (the original with the typed text and the
suggestion inserted), and that the suggestion is what `infilld complete FILE:LINE:COL`
gives for the text the editor held (a wrong position conversion or document sync would
complete another text).

The model is a tiny random checkpoint with printable output (tools/tiny_checkpoint.py,
dream bf16, seed 1, printable=True): random but deterministic text.

    test_nvim_plugin.py --infilld PATH [--nvim PATH] [--workdir DIR] [--only SUBSTRING]
                        [--timeout SECONDS] [--verbose]

Prints `ok`/`FAIL` lines and the last line `N passed, M failed, K skipped`; exit 1 on
failure. Without Neovim 0.7+ it prints `skipped: nvim not found` (or why) and exits 0 (a
failure with INFILLD_REQUIRE_ALL=1).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvim_harness  # noqa: E402
from nvim_harness import C_FILE, CURSOR, HERE, PYTHON_FILE, REPO, NvimRun, cli_complete  # noqa: E402

SCRIPT = os.path.join(HERE, "nvim_plugin.lua")
PLUGIN = os.path.join(REPO, "editors", "nvim")

# the cursor on the empty line after the import: with maxTokens 64 the tiny model
# suggests four lines there (the second empty) as soon as Insert mode starts
PYTHON_FILE_ML = PYTHON_FILE.replace("    \u2038\n", "    \n").replace("import math\n", "import math\n\u2038", 1)

PY_TYPED = ["total = ", "area(", "r) + 1", " * 2", " - r", " + 3", " / 4"]
C_TYPED = ["count(", "\"x\")", " + 1", " * 2", " - n", " + 3", " / 4"]


def case(name, fname, text, typed, scenario, encoding, setup=None, gap=20):
    return {"name": name, "file": fname, "text": text, "typed": typed, "scenario": scenario,
            "encoding": encoding, "setup": setup or {}, "gap": gap}


CASES = [
    case("python, <Tab> accepts the suggestion (UTF-8 negotiated)", "demo.py", PYTHON_FILE, PY_TYPED,
         "accept", "utf-8"),
    case("c, multi-byte line, accept word, line, then the rest (UTF-16)", "demo.c", C_FILE, C_TYPED,
         "word", "utf-16", {"position_encodings": ["utf-16"]}),
    case("python, multi-line suggestion: accept word, line, line, then the rest (UTF-16)", "demo.py",
         PYTHON_FILE_ML, [""] + PY_TYPED, "word", "utf-16",
         {"position_encodings": ["utf-16"], "settings": {"maxTokens": 64}}),
    case("c, multi-byte line, <Tab> accepts mid-line (UTF-32)", "demo.c", C_FILE, C_TYPED,
         "accept", "utf-32", {"position_encodings": ["utf-32", "utf-8"]}),
    case("python, dismiss: <C-]>, InsertLeave, cursor move", "demo.py", PYTHON_FILE, PY_TYPED,
         "dismiss", "utf-8"),
    case("c, keystrokes cancel the request in flight (UTF-16)", "demo.c", C_FILE, C_TYPED,
         "cancel", "utf-16", {"position_encodings": ["utf-16"], "debounce_ms": 30,
                              "settings": {"maxTokens": 16, "debounceMs": 3000}}, gap=120),
    case("python, auto_trigger = false: only the trigger key <M-\\> asks", "demo.py", PYTHON_FILE, PY_TYPED,
         "trigger", "utf-8", {"auto_trigger": False}),
    case("python, streaming updates drawn, then accepted", "demo.py", PYTHON_FILE, PY_TYPED,
         "accept", "utf-8", {"streaming": True}),
    case("c, renderer and position conversions on their own", "demo.c", C_FILE, C_TYPED, "render",
         "utf-8"),
    case("python, a model that cannot load: status error, requests fail, checkhealth says why",
         "demo.py", PYTHON_FILE, PY_TYPED, "error", "utf-8", {"model": "/nonexistent/infilld-model"}),
    case("python, :checkhealth infilld", "demo.py", PYTHON_FILE, PY_TYPED, "health", "utf-8"),
]


def first_word(s):
    """The accept-word unit, as the README documents it (re-derived here)."""
    m = re.match(r"\n[ \t]*", s)
    if m:
        return m.group(0)
    lead = re.match(r"[ \t]*", s).group(0)
    rest = s[len(lead):]
    m = re.match(r"(?:[A-Za-z0-9_]|[^\x00-\x7f])+", rest) or re.match(r"[^A-Za-z0-9_\s\x80-\U0010ffff]+", rest)
    return lead + (m.group(0) if m else "")


class Layout:
    def __init__(self, text):
        before, after = text.split(CURSOR)
        self.row = before.count("\n")
        self.file_text = before + after
        self.lines = self.file_text.split("\n")[:-1]  # the final newline is no buffer line
        head = before.rsplit("\n", 1)[-1]
        self.col_chars = len(head)
        self.col_bytes = len(head.encode("utf-8"))

    def with_text(self, text, at_chars=None):
        at = self.col_chars if at_chars is None else at_chars
        line = self.lines[self.row]
        joined = "\n".join(self.lines[:self.row] + [line[:at] + text + line[at:]]
                           + self.lines[self.row + 1:])
        return joined.split("\n")


def verify(c, lay, r, binary, model_dir, d, timeout):
    problems = []
    if r.get("encoding") != c["encoding"]:
        problems.append("encoding %r, expected %r" % (r.get("encoding"), c["encoding"]))
    if r.get("file_lines") != lay.lines:
        problems.append("the buffer opened as %r" % r.get("file_lines"))
    statuses = r.get("statuses") or []
    if c["scenario"] == "error":
        if "infilld: error" not in statuses:
            problems.append("statuses %r: no error" % statuses)
        return problems
    if "infilld: ready" not in statuses or not any(s.startswith("infilld: loading") for s in statuses):
        problems.append("statuses %r: expected loading, then ready" % statuses)
    if c["scenario"] in ("health", "render"):
        return problems
    typed = r.get("typed", "")
    if not any("".join(c["typed"][:k + 1]) == typed for k in range(len(c["typed"]))):
        problems.append("typed %r is not a run of the case's strings" % typed)
    sugg = r.get("suggestion")
    if not isinstance(sugg, str) or sugg == "":
        problems.append("the suggestion shown %r is empty" % (sugg,))
        return problems
    if c["scenario"] in ("accept", "cancel", "word", "trigger"):
        want = lay.with_text(typed + sugg)
        if r.get("buffer") != want:
            problems.append("buffer %r, expected %r" % (r.get("buffer"), want))
        stats = r.get("stats") or {}
        if stats.get("accepted") != 1:
            problems.append("stats.accepted %r" % stats.get("accepted"))
    if c["scenario"] == "word":
        parts = r.get("partial") or []
        if not parts or parts[0] != first_word(sugg):
            problems.append("first partial accept %r, the first word of %r is %r"
                            % (parts[:1], sugg, first_word(sugg)))
        if not sugg.startswith("".join(parts)):
            problems.append("partial accepts %r are not a prefix of %r" % (parts, sugg))
    if c["scenario"] == "dismiss":
        t = (typed + r.get("fallback_inserted", "") + r.get("typed_after_dismiss", "")
             + r.get("typed_after_insert_enter", ""))
        want = lay.with_text(t)
        if r.get("final_lines") != want:
            problems.append("after dismissing: buffer %r, expected %r (nothing accepted)"
                            % (r.get("final_lines"), want))
    if c["setup"].get("streaming"):
        if ((r.get("counters") or {}).get("stream_updates") or 0) < 1:
            problems.append("streaming: no infilld/completionUpdate was drawn: %r" % r.get("counters"))
    if c["scenario"] == "dismiss" and not re.fullmatch(r"[ \t]+", r.get("fallback_inserted", "")):
        problems.append("<Tab> without a suggestion inserted %r" % r.get("fallback_inserted"))
    # the suggestion is what the CLI completes for the editor's text
    lines = lay.with_text(typed)
    max_tokens = (c["setup"].get("settings") or {}).get("maxTokens", 16)
    want, err = cli_complete(binary, model_dir, d, c["file"], lines, lay.row,
                             lay.col_chars + len(typed), timeout, max_tokens=max_tokens)
    if err:
        problems.append("cross-check: %s" % err)
    elif want.rstrip("\ufffd") != sugg:
        problems.append("cross-check: the plugin showed %r, `infilld complete` on the editor's "
                        "text gives %r" % (sugg, want))
    return problems


def run_case(c, nvim, binary, model_dir, base, timeout, verbose):
    lay = Layout(c["text"])
    run = NvimRun(base, c["name"], c["file"], lay.file_text)
    r = run.run(nvim, SCRIPT, {
        "INFILLD_PT_PLUGIN": PLUGIN,
        "INFILLD_BIN": binary,
        "INFILLD_MODEL_DIR": model_dir,
        "INFILLD_PT_FILE": run.src,
        "INFILLD_PT_LINE": str(lay.row),
        "INFILLD_PT_COL": str(lay.col_bytes),
        "INFILLD_PT_TYPED": json.dumps(c["typed"]),
        "INFILLD_PT_KEY_GAP_MS": str(c["gap"]),
        "INFILLD_PT_SCENARIO": c["scenario"],
        "INFILLD_PT_SETUP": json.dumps(c["setup"]),
        "INFILLD_PT_ENCODING": c["encoding"],
        "INFILLD_PT_RESULT": run.result_path,
        "INFILLD_PT_WAIT_MS": "20000",
    }, timeout, unset=("INFILLD_MODEL", "INFILLD_BIN"))
    problems = run.problems(lambda: verify(c, lay, r, binary, model_dir, run.dir, timeout), "PLUGIN OK")
    if problems:
        details = []
        if r is not None:
            details = ["counters: %s" % json.dumps(r.get("counters")),
                       "statuses: %s" % json.dumps(r.get("statuses"))]
        run.report_failure(problems, details, 30, 400)
        return False
    if c["scenario"] == "health":
        desc = "checkhealth: %d lines, no ERROR" % len(r.get("health") or [])
    elif c["scenario"] in ("render", "error"):
        desc = "%d checks" % len(r.get("checks") or [])
    else:
        desc = "typed %r, suggestion %r" % (r.get("typed"), r.get("suggestion"))
        if r.get("partial"):
            desc += ", accepted in parts %r" % r["partial"]
        k = r.get("counters") or {}
        desc += ", plugin: %d request(s), %d cancelled, %d stream update(s)" % (
            k.get("requests", 0), k.get("cancelled", 0), k.get("stream_updates", 0))
    print("ok   %s: %s, %s" % (c["name"], r.get("encoding"), desc))
    if verbose:
        print("  stats: %s" % json.dumps(r.get("stats")))
        print("  statuses: %s" % json.dumps(r.get("statuses")))
    return True


def main(argv=None):
    return nvim_harness.main(__doc__, CASES, run_case, "infilld-nvim-plugin-", "print stats", argv,
                             printable=True)


if __name__ == "__main__":
    sys.exit(main())
