#!/usr/bin/env python3
"""The HumanEval-Infilling harness (tools/eval) gives right verdicts, and its loop runs.

    test_harness.py [--infilld build/infilld] [--model DIR | --tiny-model] [--tasks 20]

Checks:
  - the executor: a correct program passes; a failing assert, an exception,
    sys.exit(0), os._exit(0), a program that never ends (timeout) and one that prints
    without end (file-size limit) do not;
  - --check-harness on --tasks tasks of the single-line and multi-line subsets: every
    canonical middle passes, no wrong middle that the tests execute passes;
  - the floors on known single-line tasks: HumanEval/0/L0 (the outer loop) needs its
    line: every floor leaves an IndentationError there while the canonical passes;
    HumanEval/0/L7 (`return False`) passes only with the `return False` floor;
    HumanEval/20/L0 (`closest_pair = None`, redundant) passes empty and with `pass`;
  - the task selection: the default run is the whole single-line set and 200 seeded
    multi-line and random-span tasks; --limit and --limit-per-subset change it;
  - --floors-only on a few tasks per subset: the figures add up and are the verdicts
    of the floors executed here;
  - the loop end to end with a stand-in engine (a script answering `complete --stdin
    --json` with the canonical middle, its final newline dropped as infilld's
    post-processing does, with a wrong one, or with a broken one, 'def f(:'): pass@1 and
    exact match 100% for the canonical, 0 passes for the wrong, the stand-in's forwards
    and latencies reported; SyntaxError share 0 for the canonical and 1 for the broken;
    the floors printed beside; --compare of two puts them side by side with the per-task
    agreement (both, only A, only B, neither add up to the tasks);
  - with --model DIR (or --tiny-model: a random tiny Dream checkpoint from
    tools/tiny_checkpoint.py) the real loop on 6 tasks: every completion comes back, each
    passes or fails again when run here, pass@1 and exact match are what those runs and
    the canonical middles give, the report holds the model's config, the flags, forwards
    and latencies. No check on how long anything takes.

Skips (prints "skipped: ...", exit 0) when ../shared/data/humaneval-infilling is absent.
Ends with the line `N passed, M failed`; exit status 1 on failure.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL = os.path.join(REPO, "tools", "eval")
TOOL = os.path.join(EVAL, "humaneval_infilling.py")
sys.path.insert(0, EVAL)

import he_exec  # noqa: E402
import he_floors  # noqa: E402
import he_tasks  # noqa: E402
import humaneval_infilling  # noqa: E402

RESULTS = []


def report(ok, name, detail=""):
    RESULTS.append(bool(ok))
    print("%s: %s%s" % ("PASS" if ok else "FAIL", name,
                        ("  (%s)" % detail) if detail and not ok else ""), flush=True)
    return ok


def run_tool(args, timeout=900):
    r = subprocess.run([sys.executable, TOOL] + args, capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def run_report(args, work, name, what, tail=None):
    """Runs the tool with `--out WORK/NAME.json --quiet`, prints its output (the last
    `tail` lines), reports whether it ran (`what`). Returns (its report or None, stdout)."""
    out = os.path.join(work, name + ".json")
    rc, stdout, stderr = run_tool(args + ["--out", out, "--quiet"])
    lines = stdout.splitlines()
    print("\n".join("    " + l for l in (lines[-tail:] if tail else lines)))
    if not report(rc == 0 and os.path.exists(out), what, stderr[-800:]):
        return None, stdout
    with open(out) as f:
        return json.load(f), stdout


def check_executor():
    cases = [
        ("a correct program", "def f():\n    return 1\n\nassert f() == 1\n", "passed"),
        ("a failing assert", "assert 1 == 2\n", "failed"),
        ("an exception", "raise ValueError('x')\n", "error: ValueError"),
        ("sys.exit(0)", "import sys\nsys.exit(0)\n", "error: SystemExit"),
        ("os._exit(0)", "import os\nos._exit(0)\n", "no-sentinel"),
        ("a syntax error", "def f(:\n", "error: SyntaxError"),
        ("an endless loop", "while True:\n    pass\n", "timeout"),
        ("endless output", "while True:\n    print('x' * 10000)\n", None),
    ]
    for name, src, want in cases:
        r = he_exec.run_program(src, timeout_s=3)
        ok = (r["status"] == want) if want else not r["passed"]
        report(ok, "executor: %s -> %s" % (name, r["status"]),
               "want %s, got %s; %s" % (want, r["status"], r["stderr"][-200:]))


def check_self_check(data, n, work):
    out = os.path.join(work, "check.json")
    rc, stdout, stderr = run_tool(["--check-harness", "--data", data, "--subsets",
                                   "single,multi", "--limit", str(n), "--out", out])
    print("\n".join("    " + l for l in stdout.splitlines()))
    report(rc == 0, "--check-harness exits 0 (harness OK)", stderr[-500:])
    if not os.path.exists(out):
        report(False, "--check-harness writes its report")
        return
    with open(out) as f:
        rep = json.load(f)
    ch = rep["check_harness"]
    for subset in ("single", "multi"):
        s = ch["subsets"][subset]
        report(s["tasks"] == n and s["canonical_passed"] == n,
               "%s: the canonical middle passes in %d/%d tasks" % (subset,
                                                                  s["canonical_passed"],
                                                                  s["tasks"]))
        for kind in he_tasks.MUST_FAIL:
            w = s["wrong"][kind]
            report(w["passed_executed"] == 0 and w["failed"] + w["passed_not_executed"]
                   + w["passed_bare_except"] == w["tasks"] and w["failed"] >= n // 2,
                   "%s: wrong middle '%s' fails in %d/%d tasks (%d pass where the tests "
                   "never reach it, %d inside a bare except)"
                   % (subset, kind, w["failed"], w["tasks"], w["passed_not_executed"],
                      w["passed_bare_except"]), str(w))
        w = s["wrong"]["drop-last-line"]
        report(w["failed"] >= n // 2, "%s: the canonical less its last line fails in %d/%d"
               % (subset, w["failed"], w["tasks"]))
    report(all(k in rep["machine"] for k in ("cpu", "cores", "date", "git_commit")),
           "the report describes the machine")


FAKE = r'''#!%(python)s
# A stand-in for infilld: answers `complete --model DIR --stdin --json` from DIR/fake.json.
import json, sys
argv = sys.argv[1:]
if argv[:1] == ["--version"]:
    print("fake-infilld 0"); sys.exit(0)
model = argv[argv.index("--model") + 1]
with open(model + "/fake.json") as f:
    fake = json.load(f)
if argv[0] == "info":
    print("fake model, mode %%s" %% fake["mode"]); sys.exit(0)
req = json.loads(sys.stdin.read())
middle = fake["tasks"].get(req["prefix"] + "\x00" + req.get("suffix", ""))
if middle is None:
    sys.stderr.write("unknown task\n"); sys.exit(1)
if fake["mode"] == "canonical":
    text = middle.rstrip("\n")       # as infilld's post-processing leaves a line
elif fake["mode"] == "broken":
    text = "def f(:"
else:
    first = next(l for l in middle.splitlines() if l.strip())
    text = first[:len(first) - len(first.lstrip())] + "raise BaseException('wrong')\n" + middle
n = max(1, len(text) // 4)
print(json.dumps({"text": text, "tokens": list(range(n)), "finish_reason": "stop",
                  "stats": {"forwards": n, "positions": 10 * n, "tokens_per_forward": 1.0,
                            "total_ms": 0.5 * n}}))
'''


def make_fake(work, data, limit):
    path = os.path.join(work, "fake_infilld")
    with open(path, "w") as f:
        f.write(FAKE % {"python": sys.executable})
    os.chmod(path, 0o755)
    tasks = he_tasks.load_tasks(data, ["single", "multi"], limit, 0)
    table = {t["prompt"] + "\x00" + t["suffix"]: t["canonical_solution"] for t in tasks}
    dirs = {}
    for mode in ("canonical", "wrong", "broken"):
        d = os.path.join(work, "fake-" + mode)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"model_type": "fake", "mode": mode}, f)
        with open(os.path.join(d, "fake.json"), "w") as f:
            json.dump({"mode": mode, "tasks": table}, f)
        dirs[mode] = d
    return path, dirs, len(tasks)


def check_loop_fake(data, work):
    fake, dirs, n = make_fake(work, data, 3)
    rep, stdout = run_report(["--model", dirs["canonical"], "--infilld", fake, "--data", data,
                              "--subsets", "single,multi", "--limit", "3"], work, "fake",
                             "the loop runs with a stand-in engine")
    if rep is None:
        return
    fig = rep["figures"]["fake-canonical"]["all"]
    report(fig["tasks"] == n and fig["passed"] == n and fig["exact"] == n,
           "the canonical middle (its newline dropped): pass@1 %s, exact match %s over %d"
           % (fig["pass@1"], fig["exact_match"], fig["tasks"]), str(fig)[:400])
    report(fig["newline_appended"] == n, "each line-level completion got its final newline")
    # the stand-in reports n = len(text) // 4 forwards (at least 1) and 0.5 n ms per completion
    fwd = [max(1, len(t["canonical_solution"].rstrip("\n")) // 4)
           for t in he_tasks.load_tasks(data, ["single", "multi"], 3, 0)]
    mean = sum(fwd) / len(fwd)
    report(abs(fig["forwards"]["mean"] - mean) < 1e-3
           and abs(fig["total_ms"]["mean"] - 0.5 * mean) < 1e-3
           and isinstance(fig["wall_ms"]["p50"], (int, float)),
           "the engine's forwards (mean %s) and latency (mean %s ms) are the stand-in's"
           % (fig["forwards"]["mean"], fig["total_ms"]["mean"]), "expected %s and %s from %s"
           % (mean, 0.5 * mean, fwd))
    report(fig["syntax_errors"] == 0 and fig["syntax_error_share"] == 0.0
           and not any(r["syntax_error"] for r in rep["records"]["fake-canonical"]),
           "the canonical middle: SyntaxError share %s" % fig["syntax_error_share"])
    floors = rep.get("floors", {}).get("figures", {})
    report(sorted(floors) == sorted(he_floors.FLOORS)
           and all(f["all"]["tasks"] == n and f["single"]["tasks"] + f["multi"]["tasks"] == n
                   for f in floors.values())
           and "pass@1 beside the floors" in stdout
           and sum("floor: return False" in l for l in stdout.splitlines()) == 3,
           "the floors are in the report and printed beside the model, per subset",
           str(floors)[:400])
    check_broken(fake, dirs, data, work, n)

    rep, stdout = run_report(["--compare", dirs["canonical"], dirs["wrong"], "--labels",
                              "canon,wrong", "--infilld", fake, "--data", data, "--subsets",
                              "single,multi", "--limit", "3", "--no-floors"], work, "compare",
                             "--compare runs", tail=12)
    if rep is None:
        return
    a, b = rep["figures"]["canon"]["all"], rep["figures"]["wrong"]["all"]
    # `raise` where the middle starts may pass only where the tests never get there, or
    # where a bare `except:` around it catches it.
    excused = set()
    for t in he_tasks.load_tasks(data, ["single", "multi"], 3, 0):
        line = he_tasks.insertion_line(t)
        r = he_exec.run_program(he_tasks.program(t, t["canonical_solution"]),
                                trace_lines=(line, line))
        if r["executed"] is False or he_tasks.under_bare_except(t):
            excused.add(t["task_id"])
    passed = {r["task_id"] for r in rep["records"]["wrong"] if r["passed"]}
    report(a["passed"] == n and passed <= excused and len(excused) < n // 2
           and b["exact"] == 0,
           "--compare: canonical passes %d/%d, `raise BaseException` first passes %d/%d "
           "(%d where the tests never reach it or a bare except catches it)"
           % (a["passed"], n, b["passed"], n, len(excused)),
           "passed %s, excused %s" % (sorted(passed), sorted(excused)))
    ratio = rep["compare"]["b_over_a"]["all"]["pass@1"]["b_over_a"]
    report(ratio == round(b["passed"] / a["passed"], 4) and "side by side" in stdout
           and "B/A" in stdout,
           "--compare prints the table with the ratio B/A (pass@1 %s)" % ratio)
    agree = rep["compare"]["agreement"]
    sums = {s: g["both"] + g["only_a"] + g["only_b"] + g["neither"] == g["tasks"]
            for s, g in agree.items()}
    g = agree["all"]
    report(all(sums.values()) and g["tasks"] == n
           and agree["single"]["tasks"] + agree["multi"]["tasks"] == n
           and g["both"] == len(passed) and g["only_a"] == n - len(passed)
           and g["only_b"] == 0 and g["neither"] == 0
           and "per-task agreement" in stdout and "only wrong" in stdout,
           "--compare: agreement both %d, only canon %d, only wrong %d, neither %d (of %d)"
           % (g["both"], g["only_a"], g["only_b"], g["neither"], g["tasks"]), str(agree))
    report("floors" not in rep and "beside the floors" not in stdout,
           "--no-floors: no floors run")


def check_broken(fake, dirs, data, work, n):
    """'def f(:' for every task: a SyntaxError each time, and no pass."""
    rep, _ = run_report(["--model", dirs["broken"], "--infilld", fake, "--data", data,
                         "--subsets", "single,multi", "--limit", "3", "--no-floors"], work,
                        "broken", "the loop runs with a broken stand-in", tail=3)
    if rep is None:
        return
    fig = rep["figures"]["fake-broken"]
    report(all(fig[s]["syntax_error_share"] == 1.0 for s in ("single", "multi", "all"))
           and fig["all"]["syntax_errors"] == n and fig["all"]["passed"] == 0
           and fig["all"]["tasks"] == n,
           "'def f(:' makes every program a SyntaxError (share %s) and none passes"
           % fig["all"]["syntax_error_share"], str(fig["all"])[:300])


def pick(data, subset, ids):
    by_id = {t["task_id"]: t for t in he_tasks.load_subset(data, subset)}
    return [by_id[i] for i in ids]


def check_floors(data):
    """Floors on three known single-line tasks, executed here."""
    ids = ["SingleLineInfilling/HumanEval/0/L0", "SingleLineInfilling/HumanEval/0/L7",
           "SingleLineInfilling/HumanEval/20/L0"]
    tasks = pick(data, "single", ids)
    report([t["canonical_solution"] for t in tasks]
           == ["    for idx, elem in enumerate(numbers):\n", "    return False\n",
               "    closest_pair = None\n"], "the floor tasks are the ones expected")
    recs = he_floors.run_floors(tasks, "lines", 1, timeout_s=10)
    got = {f: [(r["passed"], r["syntax_error"]) for r in rs] for f, rs in recs.items()}
    want = {"empty": [(False, True), (False, False), (True, False)],
            "pass": [(False, True), (False, False), (True, False)],
            "return False": [(False, True), (True, False), (False, False)],
            "return True": [(False, True), (False, False), (False, False)]}
    for f in he_floors.FLOORS:
        report(got[f] == want[f], "floor %r on HumanEval/0/L0, 0/L7, 20/L0: (passed, "
               "SyntaxError) %s" % (f, got[f]), "want %s" % want[f])
    canon = [he_exec.run_program(he_tasks.program(t, t["canonical_solution"]))["passed"]
             for t in tasks]
    report(canon == [True, True, True]
           and not any(he_tasks.syntax_error(t, t["canonical_solution"]) for t in tasks),
           "the canonical middles pass and compile where the floors fail (%s)" % canon)
    report(recs["return False"][1]["middle"] == tasks[1]["canonical_solution"]
           and recs["pass"][0]["middle"] == "    pass\n" and recs["empty"][0]["middle"] == "",
           "a floor statement goes at the canonical's indentation with its newline joined",
           repr(recs["pass"][0]["middle"]))
    span = he_tasks.load_subset(data, "span")[:1]
    report(he_floors.floor_completion(span[0], "pass")
           == he_tasks.first_line_indent(span[0]) + "pass"
           and not he_tasks.join_completion(span[0], "pass")[1],
           "a random span's floor is the statement at its first line's indentation, no "
           "newline added")


def check_limits(data):
    """The default run: all single-line tasks, 200 seeded multi-line and span tasks."""
    def limits(*argv):
        return humaneval_infilling.parse_args(list(argv)).limits
    default = limits("--floors-only")
    tasks = he_tasks.load_tasks(data, he_tasks.DEFAULT_SUBSETS, default, 0)
    counts = {s: sum(t["subset"] == s for t in tasks) for s in he_tasks.DEFAULT_SUBSETS}
    again = he_tasks.load_tasks(data, he_tasks.DEFAULT_SUBSETS, default, 0)
    report(default == {"single": None, "multi": 200, "span": 200}
           and counts == {"single": 1033, "multi": 200, "span": 200}
           and [t["task_id"] for t in tasks] == [t["task_id"] for t in again],
           "the default run: %s tasks, the same tasks each time" % counts)
    cases = [(("--model", "m", "--limit", "5"), {"single": 5, "multi": 5, "span": 5}),
             (("--model", "m", "--limit-per-subset", "multi=7"),
              {"single": None, "multi": 7, "span": None}),
             (("--model", "m", "--limit", "3", "--limit-per-subset", "multi=0"),
              {"single": 3, "multi": None, "span": 3}),
             (("--check-harness", "--subsets", "single,multi"), {"single": 20, "multi": 20})]
    for argv, want in cases:
        got = limits(*argv)
        report(got == want, "%s -> tasks per subset %s" % (" ".join(argv), got),
               "want %s" % want)
    try:
        with open(os.devnull, "w") as null:
            saved, sys.stderr = sys.stderr, null
            try:
                limits("--floors-only", "--limit-per-subset", "single=x")
            finally:
                sys.stderr = saved
        report(False, "--limit-per-subset single=x is refused")
    except SystemExit as e:
        report(e.code == 2, "--limit-per-subset single=x is refused")


def check_floors_only(data, work):
    rep, stdout = run_report(["--floors-only", "--data", data, "--limit-per-subset",
                              "single=4,multi=2,span=2", "--infilld", "/nonexistent"], work,
                             "floors", "--floors-only runs without infilld")
    if rep is None:
        return
    figs = rep["floors"]["figures"]
    tasks = he_tasks.load_tasks(data, ["single", "multi", "span"],
                                {"single": 4, "multi": 2, "span": 2}, 0)
    recs = he_floors.run_floors(tasks, "lines", 1)
    for floor in he_floors.FLOORS:
        f = figs[floor]
        parts = [f[s] for s in ("single", "multi", "span")]
        adds_up = ([p["tasks"] for p in parts] == [4, 2, 2] and f["all"]["tasks"] == 8
                   and sum(p["passed"] for p in parts) == f["all"]["passed"]
                   and sum(p["syntax_errors"] for p in parts) == f["all"]["syntax_errors"]
                   and sum(f["all"]["exec_status"].values()) == 8
                   and f["all"]["pass@1"] == round(f["all"]["passed"] / 8, 4))
        here = sorted(r["task_id"] for r in recs[floor] if r["passed"])
        report(adds_up and sorted(rep["floors"]["passed"][floor]) == here
               and f["all"]["syntax_errors"] == sum(r["syntax_error"] for r in recs[floor]),
               "--floors-only %r: passed %d/8, SyntaxError %d/8: the figures add up and are "
               "the verdicts here" % (floor, f["all"]["passed"], f["all"]["syntax_errors"]),
               "%s; here %s" % (f, here))
    report("models" not in rep and sum("floor: empty" in l for l in stdout.splitlines()) == 4,
           "--floors-only prints the floors for each subset and over all")


def check_loop_model(data, infilld, model, work):
    rep, _ = run_report(["--model", model, "--infilld", infilld, "--data", data, "--subsets",
                         "single,multi", "--limit", "3", "--max-tokens", "16", "--steps",
                         "16"], work, "model", "the loop runs on %s" % model)
    if rep is None:
        return
    label = next(iter(rep["figures"]))
    fig = rep["figures"][label]["all"]
    report(fig["tasks"] == 6 and fig["engine_errors"] == 0,
           "6 tasks, every completion came back (%d engine errors)" % fig["engine_errors"],
           str([r["error"] for r in rep["records"][label] if r["error"]][:2]))
    recs = rep["records"][label]
    fwd = [r["forwards"] for r in recs]
    report(len(recs) == 6 and all(isinstance(f, int) and f >= 1 for f in fwd)
           and abs(fig["forwards"]["mean"] - sum(fwd) / len(fwd)) < 1e-3,
           "every completion took at least one forward; the mean %s is the records' (%s)"
           % (fig["forwards"]["mean"], fwd))
    report(all(isinstance(r["total_ms"], (int, float)) and isinstance(r["wall_ms"], (int, float))
               for r in recs)
           and all(isinstance(fig[k][q], (int, float)) for k in ("total_ms", "wall_ms")
                   for q in ("mean", "p50", "p95")),
           "each record and the figures carry the engine and wall latencies")
    m = rep["models"][label]
    report("config" in m and m["config"].get("model_type") and "--max-tokens 16" in m["flags"]
           and "--temperature 0" in m["flags"],
           "the report holds the model's config and the flags (%s)" % m.get("flags"))
    # pass@1 and exact match of these completions, worked out here: each completion joined
    # and run again on its own, and compared with its task's canonical middle
    tasks = {t["task_id"]: t for t in he_tasks.load_tasks(data, ["single", "multi"], 3, 0)}
    if not report(len(tasks) == 6 and sorted(r["task_id"] for r in recs) == sorted(tasks),
                  "one record per task", str([r["task_id"] for r in recs])):
        return
    passed = exact = 0
    for r in recs:
        t = tasks[r["task_id"]]
        middle, appended = he_tasks.join_completion(t, r["text"])
        again = he_exec.run_program(he_tasks.program(t, middle))
        report(again["passed"] == r["passed"] and again["status"] == r["exec"]["status"]
               and appended == r["newline_appended"]
               and he_tasks.syntax_error(t, middle) == r["syntax_error"],
               "%s: the completion %r %s (%s) when run again"
               % (r["task_id"], r["text"][:40], "passes" if r["passed"] else "fails",
                  r["exec"]["status"]),
               "now %s, newline appended %s vs %s, SyntaxError %s" % (
                   again["status"], appended, r["newline_appended"], r["syntax_error"]))
        passed += again["passed"]
        exact += he_tasks.exact_match(r["text"], t["canonical_solution"])
    report(fig["passed"] == passed and fig["pass@1"] == round(passed / 6, 4)
           and fig["exact"] == exact and fig["exact_match"] == round(exact / 6, 4),
           "pass@1 %s and exact match %s are what the completions give (%d/6 pass, %d/6 exact)"
           % (fig["pass@1"], fig["exact_match"], passed, exact), str(fig)[:400])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--infilld", default=os.path.join(REPO, "build", "infilld"))
    p.add_argument("--model", help="a model folder for the real loop")
    p.add_argument("--tiny-model", action="store_true",
                   help="make a random tiny Dream checkpoint for the real loop")
    p.add_argument("--tasks", type=int, default=20, help="tasks per subset for the self-check")
    p.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "data",
                                                  "humaneval-infilling"))
    args = p.parse_args()
    if not os.path.isdir(args.data):
        print("skipped: no HumanEval-Infilling data at %s" % args.data)
        return 0
    work = tempfile.mkdtemp(prefix="test_eval_harness_")
    try:
        check_executor()
        check_self_check(args.data, args.tasks, work)
        check_floors(args.data)
        check_limits(args.data)
        check_floors_only(args.data, work)
        check_loop_fake(args.data, work)
        model = args.model
        if model is None and args.tiny_model:
            sys.path.insert(0, os.path.join(REPO, "tools"))
            import tiny_checkpoint
            model = os.path.join(work, "tiny-dream")
            tiny_checkpoint.write_checkpoint(model, "dream", "bf16", seed=1)
        if model is None:
            print("note: no real loop (give --model DIR or --tiny-model)")
        elif not os.access(args.infilld, os.X_OK):
            report(False, "infilld binary at %s" % args.infilld)
        else:
            check_loop_model(args.data, args.infilld, model, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = RESULTS.count(False)
    print("%d passed, %d failed" % (len(RESULTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
