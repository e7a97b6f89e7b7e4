"""What the headless Neovim end-to-end runners (test_nvim.py, test_nvim_plugin.py) share.

Finding Neovim, the case files, running one case's `nvim --headless` script (its own
XDG folders, a timeout that kills the process group: Neovim and the server it started),
reading its result.json, the checks every case gets, the failure report, the
`infilld complete` cross-check, and the command line with its summary line.

Skips follow the project's convention: a case that cannot run prints `skipped NAME: why`,
the summary line is `N passed, M failed, K skipped`, a run that cannot start at all prints
`skipped: why` (ctest's SKIP_REGULAR_EXPRESSION "^skipped: "); with INFILLD_REQUIRE_ALL=1
in the environment (CI) every skip is a failure instead.
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
import harness  # noqa: E402
from tiny_checkpoint import write_checkpoint  # noqa: E402

CURSOR = "\u2038"  # marks where the user types; removed from the file

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


def nvim_version(nvim):
    """(major, minor, patch) of `nvim --version`, or None."""
    try:
        out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else None


def find_nvim(requested):
    if requested:
        return requested if os.path.exists(requested) or shutil.which(requested) else None
    return shutil.which("nvim") or ("/usr/bin/nvim" if os.path.exists("/usr/bin/nvim") else None)


def tail(path, n, width):
    """The last n lines of a file, each cut at `width` characters."""
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return "(no %s)" % path
    return "\n".join(ln if len(ln) <= width else ln[:width] + " ..." for ln in lines[-n:])


def cli_complete(binary, model_dir, d, fname, lines, row, col_chars, timeout, max_tokens=16):
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


class NvimRun:
    """One case: its folder under `base` (named after the case), the source file written
    there, then `nvim --headless` running a Lua script that writes result.json."""

    def __init__(self, base, name, fname, file_text):
        self.name = name
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.dir = os.path.join(base, slug)
        os.makedirs(self.dir, exist_ok=True)
        self.src = os.path.join(self.dir, fname)
        with open(self.src, "w", encoding="utf-8") as f:
            f.write(file_text)
        self.result_path = os.path.join(self.dir, "result.json")
        if os.path.exists(self.result_path):
            os.remove(self.result_path)
        self.result = None

    def run(self, nvim, script, env_vars, timeout, unset=()):
        """Runs `nvim --headless ... -c "luafile SCRIPT"` in the case's folder, with
        XDG_*_HOME inside it, `unset` removed from the environment and env_vars added;
        kills Neovim and what it started after `timeout` seconds. Returns the result."""
        env = dict(os.environ)
        for k in unset:
            env.pop(k, None)
        for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            env[k] = os.path.join(self.dir, k.split("_")[1].lower())
        env.update(env_vars)
        self.log_path = os.path.join(env["XDG_CACHE_HOME"], "nvim", "lsp.log")
        self.timeout = timeout
        cmd = [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", "luafile " + script]
        p = subprocess.Popen(cmd, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
            self.timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # nvim and the server it started
            out, err = p.communicate()
            self.timed_out = True
        self.returncode = p.returncode
        self.out = out.decode("utf-8", "replace")
        self.err = err.decode("utf-8", "replace")
        self.result = None
        if os.path.exists(self.result_path):
            with open(self.result_path, encoding="utf-8") as f:
                self.result = json.load(f)
        return self.result

    def problems(self, verify, ok_line):
        """What went wrong: Neovim's exit, the script's verdict, then verify() (called
        when the script says ok; returns a list of problems), then the `ok_line` on
        stdout."""
        problems = []
        if self.timed_out:
            problems.append("nvim still running after %d s (killed)" % self.timeout)
        elif self.returncode != 0:
            problems.append("nvim exit status %d" % self.returncode)
        r = self.result
        if r is None:
            problems.append("no result.json")
        elif not r.get("ok"):
            problems.append("script: %s" % r.get("reason"))
        else:
            problems += verify()
        if not problems and ok_line not in self.out:
            problems.append("no '%s' line on stdout" % ok_line)
        return problems

    def report_failure(self, problems, details, log_lines, log_width):
        """Prints FAIL, the problems, Neovim's output, `details` (lines about the result)
        and the last `log_lines` lines of the LSP log."""
        print("FAIL %s" % self.name)
        for pr in problems:
            print("  " + pr)
        print("  stdout: %s" % self.out.strip()[-2000:])
        if self.err.strip():
            print("  stderr: %s" % self.err.strip()[-2000:])
        for line in details:
            print("  " + line)
        print("  lsp log (%s), last lines:" % self.log_path)
        print("    " + tail(self.log_path, log_lines, log_width).replace("\n", "\n    "))


# the project's skip convention (tests/parity/harness.py)
skip_all = harness.skip_all


class Skip:
    """What run_case returns for a case that cannot run here (not a failure)."""

    def __init__(self, why):
        self.why = why


def main(doc, cases, run_case, workdir_prefix, verbose_help, argv=None, model_dir=None, **checkpoint):
    """The runners' command line: finds Neovim (0.7 or newer, else `skipped: ...`), makes
    the tiny checkpoint (dream bf16 seed 1, plus `checkpoint` options) in the work folder
    unless `model_dir` names the model to use, runs run_case(case, nvim, binary, model_dir,
    base, timeout, verbose) for each case that --only selects (True: passed, False: failed,
    a Skip: `skipped NAME: why`) and prints `N passed, M failed, K skipped`. Returns the
    exit status."""
    args, binary = harness.parse_args(
        doc, "where to keep the checkpoint, files and logs", 120, argv,
        extra=lambda p: (p.add_argument("--nvim", help="the nvim binary (default: nvim on PATH)"),
                         p.add_argument("--verbose", action="store_true", help=verbose_help)))
    nvim = find_nvim(args.nvim)
    if nvim is None:
        return skip_all("nvim not found")
    version = nvim_version(nvim)
    if version is None or version < (0, 7, 0):
        return skip_all("%s is not Neovim 0.7 or newer (%r)" % (nvim, version))
    if shutil.which(binary) is None:
        print("FAIL: %s is not an executable infilld binary" % binary)
        return harness.summary(0, 1)
    cases = [c for c in cases if not args.only or args.only in c["name"]]
    if not cases:
        print("no case matches --only %r" % args.only)
        return 1
    base, cleanup = harness.work_dir(args.workdir, workdir_prefix)
    try:
        if model_dir is None:
            model_dir = os.path.join(base, "model")
            if not os.path.exists(os.path.join(model_dir, "config.json")):
                write_checkpoint(model_dir, "dream", "bf16", **dict({"seed": 1}, **checkpoint))
        passed = failed = skipped = 0
        for c in cases:
            outcome = run_case(c, nvim, binary, model_dir, base, args.timeout, args.verbose)
            if isinstance(outcome, Skip):
                if harness.skip_case(c["name"], outcome.why):
                    skipped += 1
                else:
                    failed += 1
            elif outcome is True:
                passed += 1
            else:
                failed += 1
        return harness.summary(passed, failed, skipped)
    finally:
        cleanup()
