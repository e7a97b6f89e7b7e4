#!/usr/bin/env python3
"""HumanEval-Infilling through `infilld complete`: pass@1 beside the floors, SyntaxError
share, exact match, forwards, latency.

    humaneval_infilling.py --model DIR [--subsets single,multi,span] [--limit N]
                           [--limit-per-subset single=0,multi=200,span=200] [--no-floors]
                           [--out R.json]
    humaneval_infilling.py --compare DIR_A DIR_B [--labels A,B] ...
    humaneval_infilling.py --floors-only [--subsets ...] [--limit ...] [--out R.json]
    humaneval_infilling.py --check-harness [--limit 20]

The tasks: by default the whole single-line set (1,033 tasks, the headline) and fixed
seeded samples of 200 multi-line and 200 random-span ("span") tasks. --limit N samples
every subset to N tasks; --limit-per-subset SUBSET=N,... sets it per subset (0: all; a
subset it does not name gets --limit, or all). The samples are seeded (--sample-seed):
the same options give the same tasks.

Each task's prompt and suffix go to `infilld complete --model DIR --stdin --json
--language python --temperature 0` (one process per task; --max-tokens, --steps, --raw
and --extra-flags pass through), one sample, greedy: pass@1. The completion is joined
into prompt + middle + suffix + test + check(entry_point) (line-level tasks get the final
newline a completion lacks: see he_tasks.py, --join) and executed in a subprocess with a
timeout and resource limits (he_exec.py). Exact match: the completion equals the
canonical middle with whitespace stripped at both ends. The engine's stats give the
forward passes per completion and the latency (total_ms: mean, p50, p95); the wall time
per call includes the process start and model load (reported apart as overhead_ms).
Completions run one at a time (clean latency); the programs then run with --jobs workers.
SyntaxError share: the completions that make prompt + middle + suffix fail Python's
compile() (checked apart, not executed).

The floors (he_floors.py), on the same tasks, executed as the completions are: the empty
middle, and `pass`, `return False`, `return True` at the indentation of the canonical
middle's first non-blank line; each with its pass@1 and SyntaxError share, printed in a
table beside the models' and kept in the report ("floors"). --no-floors skips them;
--floors-only needs no model and no infilld binary and prints just the floors.

--compare runs two models on the same tasks, interleaved (A then B, then B then A, ...),
and prints the figures side by side with the ratio B/A: a diffusion model and its
autoregressive baseline through the same engine; and the per-task agreement, per subset:
the tasks both pass, only A, only B, neither.

--check-harness needs no model: for --limit tasks per subset (default 20) the canonical
middle must pass, and wrong middles must fail (he_tasks.wrong_middles: `raise
BaseException` or `os._exit(0)` put where the middle starts, an unmatched bracket; also
reported, as they may pass: `return None` there, the last line dropped). A line tracer
tells whether the tests reach the middle at all: a wrong middle they never execute may
pass. Exit status 1 when the harness is broken.

The data: ../shared/data/humaneval-infilling relative to the repository (--data); the
JSON report (--out) holds the machine, the model folders' config, the flags, all figures
and the per-task records.
"""
import argparse
import json
import os
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import engine_client  # noqa: E402
import he_exec  # noqa: E402
import he_floors  # noqa: E402
import he_report  # noqa: E402
import he_tasks  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--model", help="the model folder to evaluate")
    mode.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"),
                      help="two model folders, side by side")
    mode.add_argument("--check-harness", action="store_true",
                      help="canonical middles must pass, wrong ones fail (no model)")
    mode.add_argument("--floors-only", action="store_true",
                      help="only the floors: empty, pass, return False/True (no model)")
    p.add_argument("--labels", help="names of the two compared models (A,B); with --model, "
                   "its name (default: the folder's)")
    p.add_argument("--infilld", default=os.path.join(REPO, "build", "infilld"))
    p.add_argument("--data", default=he_tasks.default_data_dir(REPO))
    p.add_argument("--subsets", default=",".join(he_tasks.DEFAULT_SUBSETS),
                   help="comma-separated, of %s" % ", ".join(he_tasks.SUBSETS))
    p.add_argument("--limit", type=int, help="tasks per subset, a seeded sample, for every "
                   "subset (default: --limit-per-subset's; 20 with --check-harness)")
    p.add_argument("--limit-per-subset", metavar="SUBSET=N,...",
                   help="tasks per subset, 0: all; a subset not named gets --limit, or all "
                   "(default when neither is given: %s)" % ",".join(
                       "%s=%d" % (k, v or 0) for k, v in he_tasks.DEFAULT_LIMITS.items()))
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--raw", action="store_true", help="the model's middle, not post-processed")
    p.add_argument("--language", default="python", help="'' for none")
    p.add_argument("--extra-flags", default="", help="more `infilld complete` flags")
    p.add_argument("--extra-flags-a", default="", help="--compare: flags for DIR_A only")
    p.add_argument("--extra-flags-b", default="", help="--compare: flags for DIR_B only")
    p.add_argument("--join", choices=("lines", "raw"), default="lines",
                   help="lines: a line-level task's completion gets its final newline")
    p.add_argument("--timeout", type=float, default=he_exec.DEFAULT_TIMEOUT_S,
                   help="seconds per program")
    p.add_argument("--memory-mb", type=int, default=he_exec.DEFAULT_MEMORY_MB)
    p.add_argument("--no-guard", action="store_true",
                   help="leave os/shutil/subprocess functions enabled in the programs")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="programs executed at once")
    p.add_argument("--completion-timeout", type=float, default=600)
    p.add_argument("--out", help="the JSON report")
    p.add_argument("--no-records", action="store_true", help="leave per-task records out")
    p.add_argument("--no-floors", action="store_true",
                   help="skip the floors (empty, pass, return False/True)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    a.subsets = [s for s in a.subsets.split(",") if s]
    for s in a.subsets:
        if s not in he_tasks.SUBSETS:
            p.error("unknown subset %r" % s)
    spec = None
    if a.limit_per_subset is not None:
        try:
            spec = he_tasks.parse_limits(a.limit_per_subset)
        except ValueError as e:
            p.error("--limit-per-subset: %s" % e)
    if a.check_harness and a.limit is None and spec is None:
        a.limit = 20
    a.limits = he_tasks.resolve_limits(a.subsets, a.limit, spec)
    return a


def log(args, msg):
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def progress(args, t0):
    return lambda done, total: log(args, "executed %d/%d programs (%.0f s)"
                                   % (done, total, time.time() - t0))


def exec_kw(args):
    return {"timeout_s": args.timeout, "memory_mb": args.memory_mb, "guard": not args.no_guard}


# ----- --check-harness -----

def check_harness(args, tasks):
    jobs, where = [], []
    for t in tasks:
        canon = t["canonical_solution"]
        line = (he_tasks.insertion_line(t) if he_tasks.is_line_level(t) else None)
        first, last = (line, line) if line else he_tasks.middle_lines(t, canon)
        jobs.append((he_tasks.program(t, canon), {"trace_lines": (first, last)}))
        where.append((t, "canonical"))
        for kind, middle in he_tasks.wrong_middles(t).items():
            jobs.append(he_tasks.program(t, middle))
            where.append((t, kind))
    t0 = time.time()
    results = he_exec.run_many(jobs, args.jobs, progress=progress(args, t0), **exec_kw(args))
    seconds = time.time() - t0
    by_task = {}
    for (t, kind), r in zip(where, results):
        by_task.setdefault(t["task_id"], {
            "subset": t["subset"],
            "bare_except": he_tasks.is_line_level(t) and he_tasks.under_bare_except(t)})[kind] = r

    report = {"subsets": {}, "problems": [], "seconds": round(seconds, 1)}
    for subset in args.subsets:
        rows = [v for v in by_task.values() if v["subset"] == subset]
        s = {"tasks": len(rows),
             "canonical_passed": sum(v["canonical"]["passed"] for v in rows),
             "middle_executed": sum(bool(v["canonical"].get("executed")) for v in rows),
             "wrong": {}}
        for kind in he_tasks.MUST_FAIL + he_tasks.MAY_PASS:
            have = [v for v in rows if kind in v]
            if not have:
                continue
            passed = [v for v in have if v[kind]["passed"]]
            caught = [v for v in passed if kind == "raise" and v["bare_except"]]
            s["wrong"][kind] = {
                "tasks": len(have), "failed": len(have) - len(passed),
                "passed_executed": sum(v["canonical"].get("executed") is not False
                                       for v in passed if v not in caught),
                "passed_not_executed": sum(v["canonical"].get("executed") is False
                                           for v in passed if v not in caught),
                "passed_bare_except": len(caught)}
        report["subsets"][subset] = s
        if rows and s["middle_executed"] < 0.5 * len(rows):
            report["problems"].append("%s: the tests reach only %d of %d middles"
                                      % (subset, s["middle_executed"], len(rows)))
    for tid, v in by_task.items():
        if not v["canonical"]["passed"]:
            report["problems"].append("%s: the canonical middle does not pass (%s)"
                                      % (tid, v["canonical"]["status"]))
        for kind in he_tasks.MUST_FAIL:
            if kind in v and v[kind]["passed"] and (
                    kind == "syntax-error" or v["canonical"].get("executed") is not False) \
                    and not (kind == "raise" and v["bare_except"]):
                report["problems"].append("%s: the wrong middle '%s' passes" % (tid, kind))
    report["ok"] = not report["problems"]
    return report


def print_check(report):
    print("harness self-check (%.0f s):" % report["seconds"])
    for subset, s in report["subsets"].items():
        print("  %-11s canonical passed %d/%d; tests reach the middle in %d/%d"
              % (subset, s["canonical_passed"], s["tasks"], s["middle_executed"], s["tasks"]))
        for kind, w in s["wrong"].items():
            note = "" if kind in he_tasks.MUST_FAIL else "  (wrong, but may pass)"
            caught = (", %d inside a bare except" % w["passed_bare_except"]
                      if w["passed_bare_except"] else "")
            print("  %-11s wrong '%s': failed %d/%d; passed %d where the tests reach it, "
                  "%d where they do not%s%s" % ("", kind, w["failed"], w["tasks"],
                                                w["passed_executed"], w["passed_not_executed"],
                                                caught, note))
    for prob in report["problems"][:30]:
        print("  PROBLEM: %s" % prob)
    print("harness %s" % ("OK" if report["ok"] else "BROKEN"))


# ----- evaluation -----

def flags_for(args, extra_own):
    extra = " ".join(x for x in (args.extra_flags, extra_own) if x)
    return engine_client.base_flags(args.max_tokens, args.steps, args.raw, args.language,
                                    True, extra)


def evaluate(args, tasks, models):
    """models: list of (label, dir, flags). Returns {label: records}."""
    records = {label: [] for label, _, _ in models}
    t0 = time.time()
    for i, t in enumerate(tasks):
        order = models if i % 2 == 0 else list(reversed(models))
        for label, model, flags in order:
            c = engine_client.complete(args.infilld, model, t["prompt"], t["suffix"], flags,
                                       args.completion_timeout)
            middle, appended = he_tasks.join_completion(t, c["text"], args.join)
            records[label].append({"task_id": t["task_id"], "subset": t["subset"],
                                   "completion": c, "middle": middle,
                                   "newline_appended": appended,
                                   "syntax_error": he_tasks.syntax_error(t, middle),
                                   "exact": he_tasks.exact_match(c["text"],
                                                                 t["canonical_solution"])})
        if (i + 1) % 25 == 0 or i + 1 == len(tasks):
            log(args, "completed %d/%d tasks (%.0f s)" % (i + 1, len(tasks), time.time() - t0))
    by_id = {t["task_id"]: t for t in tasks}
    jobs, refs = [], []
    for label, recs in records.items():
        for r in recs:
            jobs.append(he_tasks.program(by_id[r["task_id"]], r["middle"]))
            refs.append(r)
    t1 = time.time()
    results = he_exec.run_many(jobs, args.jobs, progress=progress(args, t1), **exec_kw(args))
    for r, e in zip(refs, results):
        r["passed"] = e["passed"]
        r["exec"] = {"status": e["status"], "seconds": e["seconds"]}
        if not e["passed"]:
            r["exec"]["stderr_tail"] = e["stderr"][-300:]
    return records


def slim(records):
    out = []
    for r in records:
        c = r["completion"]
        out.append({"task_id": r["task_id"], "passed": r["passed"], "exact": r["exact"],
                    "syntax_error": r["syntax_error"],
                    "text": c["text"], "newline_appended": r["newline_appended"],
                    "finish_reason": c["finish_reason"], "tokens": c["tokens"],
                    "forwards": c["stats"].get("forwards"),
                    "total_ms": c["stats"].get("total_ms"), "wall_ms": c["wall_ms"],
                    "error": c["error"], "exec": r["exec"]})
    return out


def main(argv=None):
    args = parse_args(argv)
    if not os.path.isdir(args.data):
        print("skipped: no HumanEval-Infilling data at %s" % args.data)
        return 0
    tasks = he_tasks.load_tasks(args.data, args.subsets, args.limits, args.sample_seed)
    report = {"tool": "tools/eval/humaneval_infilling.py",
              "machine": he_report.machine(REPO),
              "data": {"dir": os.path.abspath(args.data), "subsets": args.subsets,
                       "limit_per_subset": args.limits, "sample_seed": args.sample_seed,
                       "tasks": len(tasks),
                       "tasks_per_subset": {s: sum(t["subset"] == s for t in tasks)
                                            for s in args.subsets}},
              "execution": {"timeout_s": args.timeout, "memory_mb": args.memory_mb,
                            "guard": not args.no_guard, "jobs": args.jobs}}
    if args.check_harness:
        res = check_harness(args, tasks)
        report["check_harness"] = res
        print_check(res)
        write_report(args, report)
        return 0 if res["ok"] else 1
    if args.floors_only:
        floor_figs = floors(args, tasks, report)
        print(header(args, tasks, report["machine"], "floors"))
        print("\n".join(he_floors.beside_lines(floor_figs)))
        write_report(args, report)
        return 0

    if not os.access(args.infilld, os.X_OK):
        print("error: no infilld binary at %s (--infilld)" % args.infilld, file=sys.stderr)
        return 2
    if args.model:
        dirs = [args.model]
        labels = [args.labels or os.path.basename(os.path.normpath(args.model))]
    else:
        dirs = list(args.compare)
        labels = (args.labels.split(",") if args.labels else
                  [os.path.basename(os.path.normpath(d)) for d in dirs])
        if len(labels) != 2 or labels[0] == labels[1]:
            labels = ["A:" + labels[0], "B:" + labels[-1]]
    own = [args.extra_flags_a, args.extra_flags_b]
    models = [(labels[i], dirs[i], flags_for(args, own[i] if args.compare else ""))
              for i in range(len(dirs))]
    for _, d, _ in models:
        if not os.path.isfile(os.path.join(d, "config.json")):
            print("error: %s has no config.json" % d, file=sys.stderr)
            return 2
    report["infilld"] = {"binary": os.path.abspath(args.infilld),
                         "version": engine_client.version(args.infilld),
                         "command": "infilld complete --model DIR --stdin --json FLAGS",
                         "join": args.join}
    report["models"] = {label: dict(engine_client.model_summary(d, args.infilld),
                                    flags=" ".join(shlex.quote(f) for f in flags))
                        for label, d, flags in models}
    t0 = time.time()
    records = evaluate(args, tasks, models)
    report["seconds"] = round(time.time() - t0, 1)
    report["figures"] = {label: he_report.figures(recs) for label, recs in records.items()}
    if args.compare:
        report["compare"] = {"a": labels[0], "b": labels[1],
                             "b_over_a": he_report.compare_json(report["figures"][labels[0]],
                                                                report["figures"][labels[1]])}
        report["compare"]["agreement"] = he_report.agreement(records[labels[0]],
                                                             records[labels[1]])
    if not args.no_records:
        report["records"] = {label: slim(recs) for label, recs in records.items()}
    floor_figs = None if args.no_floors else floors(args, tasks, report)

    print(header(args, tasks, report["machine"], "via infilld complete"))
    for label, d, flags in models:
        cfg = report["models"][label].get("config", {})
        print("%s: %s (%s, %s layers, hidden %s%s); flags: %s" % (
            label, d, cfg.get("model_type"), cfg.get("num_hidden_layers"),
            cfg.get("hidden_size"), ", autoregressive" if cfg.get("autoregressive") else "",
            " ".join(flags)))
    for label in records:
        print("\n".join(he_report.summary_lines(label, report["figures"][label])))
    if floor_figs is not None:
        print("\n".join(he_floors.beside_lines(floor_figs, report["figures"])))
    if args.compare:
        print("side by side (B/A = %s / %s):" % (labels[1], labels[0]))
        print("\n".join(he_report.compare_table(labels[0], report["figures"][labels[0]],
                                                labels[1], report["figures"][labels[1]])))
        print("\n".join(he_report.agreement_lines(labels[0], labels[1],
                                                  report["compare"]["agreement"])))
    write_report(args, report)
    return 0


def header(args, tasks, m, what):
    counts = ", ".join("%s %d" % (s, sum(t["subset"] == s for t in tasks))
                       for s in args.subsets)
    return ("HumanEval-Infilling %s: %d tasks (%s; sample seed %d), %s, %d cores, %s, "
            "commit %s" % (what, len(tasks), counts, args.sample_seed, m["cpu"], m["cores"],
                           m["date"], (m["git_commit"] or "?")[:12]))


def floors(args, tasks, report):
    """Runs the floors on the tasks, puts them in the report; returns their figures."""
    t0 = time.time()
    log(args, "floors: %d programs" % (len(he_floors.FLOORS) * len(tasks)))
    records = he_floors.run_floors(tasks, args.join, args.jobs, progress=progress(args, t0),
                                   **exec_kw(args))
    report["floors"] = he_floors.report_json(records, not args.no_records)
    report["floors"]["seconds"] = round(time.time() - t0, 1)
    return report["floors"]["figures"]


def write_report(args, report):
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("report: %s" % args.out)


if __name__ == "__main__":
    sys.exit(main())
