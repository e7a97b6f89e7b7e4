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

Prints `ok`/`FAIL` lines and the last line `N passed, M failed`; exit 1 on failure.
Without Neovim 0.7+ it prints `skipped: nvim not found` (or why) and exits 0.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tests", "parity"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from test_nvim import find_nvim, nvim_version  # noqa: E402
from tiny_checkpoint import write_checkpoint  # noqa: E402

SCRIPT = os.path.join(HERE, "nvim_plugin.lua")
PLUGIN = os.path.join(REPO, "editors", "nvim")
CURSOR = "\u2038"  # where the user types; removed from the file

PYTHON_FILE = """import math


def area(radius):
    return math.pi * radius ** 2


def main():
    r = 3
    \u2038
    print(total)


if __name__ == "__main__":
    main()
"""

# 2-byte (é, ö), 3-byte (€) and 4-byte (🙂: two UTF-16 units) characters before the
# cursor, so the UTF-8, UTF-16 and UTF-32 columns all differ; text after it.
C_FILE = """#include <stdio.h>

static int count(const char *s) {
    int n = 0;
    while (*s++) n++;
    return n;
}

int main(void) {
    printf("h\u00e9llo w\u00f6rld \u20ac \U0001F642 %d\\n", \u2038);
    return 0;
}
"""

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
                              "settings": {"maxTokens": 16, "debounceMs": 300}}, gap=120),
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


def cli_complete(binary, model_dir, d, fname, lines, row, col_chars, max_tokens, timeout):
    """`infilld complete FILE:LINE:COL --max-tokens N --json` on `lines`: (text, error)."""
    path = os.path.join(d, "cli", fname)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    cmd = [binary, "complete", "%s:%d:%d" % (path, row + 1, col_chars + 1), "--model", model_dir,
           "--max-tokens", str(max_tokens), "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "%s: timed out" % " ".join(cmd)
    if p.returncode != 0:
        return None, "%s: status %d: %s" % (" ".join(cmd), p.returncode,
                                            p.stderr.decode("utf-8", "replace").strip())
    try:
        return json.loads(p.stdout.decode("utf-8", "replace"))["text"], None
    except (ValueError, KeyError) as e:
        return None, "%s: bad JSON (%s)" % (" ".join(cmd), e)


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
    sugg = r.get("suggestion") or ""
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
    if sugg:
        lines = lay.with_text(typed)
        max_tokens = (c["setup"].get("settings") or {}).get("maxTokens", 16)
        want, err = cli_complete(binary, model_dir, d, c["file"], lines, lay.row,
                                 lay.col_chars + len(typed), max_tokens, timeout)
        if err:
            problems.append("cross-check: %s" % err)
        elif want.rstrip("\ufffd") != sugg:
            problems.append("cross-check: the plugin showed %r, `infilld complete` on the editor's "
                            "text gives %r" % (sugg, want))
    return problems


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return "(no %s)" % path
    return "\n".join(ln if len(ln) <= 400 else ln[:400] + " ..." for ln in lines[-n:])


def run_case(c, nvim, binary, model_dir, base, timeout, verbose):
    slug = re.sub(r"[^a-z0-9]+", "-", c["name"].lower()).strip("-")
    d = os.path.join(base, slug)
    os.makedirs(d, exist_ok=True)
    lay = Layout(c["text"])
    src = os.path.join(d, c["file"])
    with open(src, "w", encoding="utf-8") as f:
        f.write(lay.file_text)
    result_path = os.path.join(d, "result.json")
    if os.path.exists(result_path):
        os.remove(result_path)
    env = dict(os.environ)
    for k in ("INFILLD_MODEL", "INFILLD_BIN"):
        env.pop(k, None)
    for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        env[k] = os.path.join(d, k.split("_")[1].lower())
    env.update({
        "INFILLD_PT_PLUGIN": PLUGIN,
        "INFILLD_BIN": binary,
        "INFILLD_MODEL_DIR": model_dir,
        "INFILLD_PT_FILE": src,
        "INFILLD_PT_LINE": str(lay.row),
        "INFILLD_PT_COL": str(lay.col_bytes),
        "INFILLD_PT_TYPED": json.dumps(c["typed"]),
        "INFILLD_PT_KEY_GAP_MS": str(c["gap"]),
        "INFILLD_PT_SCENARIO": c["scenario"],
        "INFILLD_PT_SETUP": json.dumps(c["setup"]),
        "INFILLD_PT_ENCODING": c["encoding"],
        "INFILLD_PT_RESULT": result_path,
        "INFILLD_PT_WAIT_MS": "20000",
    })
    cmd = [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", "luafile " + SCRIPT]
    p = subprocess.Popen(cmd, cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # nvim and the server it started
        out, err = p.communicate()
        timed_out = True
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    r = None
    if os.path.exists(result_path):
        with open(result_path, encoding="utf-8") as f:
            r = json.load(f)
    problems = []
    if timed_out:
        problems.append("nvim still running after %d s (killed)" % timeout)
    elif p.returncode != 0:
        problems.append("nvim exit status %d" % p.returncode)
    if r is None:
        problems.append("no result.json")
    elif not r.get("ok"):
        problems.append("script: %s" % r.get("reason"))
    else:
        problems += verify(c, lay, r, binary, model_dir, d, timeout)
    if not problems and "PLUGIN OK" not in out:
        problems.append("no 'PLUGIN OK' line on stdout")
    if problems:
        print("FAIL %s" % c["name"])
        for pr in problems:
            print("  " + pr)
        print("  stdout: %s" % out.strip()[-2000:])
        if err.strip():
            print("  stderr: %s" % err.strip()[-2000:])
        if r is not None:
            print("  counters: %s" % json.dumps(r.get("counters")))
            print("  statuses: %s" % json.dumps(r.get("statuses")))
        log_path = os.path.join(env["XDG_CACHE_HOME"], "nvim", "lsp.log")
        print("  lsp log (%s), last lines:" % log_path)
        print("    " + tail(log_path, 30).replace("\n", "\n    "))
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
    args, binary = harness.parse_args(
        __doc__, "where to keep the checkpoint, files and logs", 120, argv,
        extra=lambda p: (p.add_argument("--nvim", help="the nvim binary (default: nvim on PATH)"),
                         p.add_argument("--verbose", action="store_true", help="print stats")))
    nvim = find_nvim(args.nvim)
    if nvim is None:
        print("skipped: nvim not found")
        return 0
    version = nvim_version(nvim)
    if version is None or version < (0, 7, 0):
        print("skipped: %s is not Neovim 0.7 or newer (%r)" % (nvim, version))
        return 0
    if shutil.which(binary) is None:
        print("FAIL: %s is not an executable infilld binary" % binary)
        print("0 passed, 1 failed")
        return 1
    cases = [c for c in CASES if not args.only or args.only in c["name"]]
    if not cases:
        print("no case matches --only %r" % args.only)
        return 1
    base, cleanup = harness.work_dir(args.workdir, "infilld-nvim-plugin-")
    try:
        model_dir = os.path.join(base, "model")
        if not os.path.exists(os.path.join(model_dir, "config.json")):
            write_checkpoint(model_dir, "dream", "bf16", seed=1, printable=True)
        passed = failed = 0
        for c in cases:
            if run_case(c, nvim, binary, model_dir, base, args.timeout, args.verbose):
                passed += 1
            else:
                failed += 1
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
