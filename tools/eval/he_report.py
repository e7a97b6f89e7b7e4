"""Figures (pass@1, SyntaxError share, forwards, latency), per-task agreement of two models,
machine description and tables for the HumanEval-Infilling evaluation."""
import datetime
import os
import platform
import subprocess

import numpy as np


def dist(values):
    """mean, p50, p95 (linear interpolation) of a list of numbers; None when empty."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    if v.size == 0:
        return None
    return {"n": int(v.size), "mean": round(float(v.mean()), 3),
            "p50": round(float(np.percentile(v, 50)), 3),
            "p95": round(float(np.percentile(v, 95)), 3)}


def share(k, n):
    return round(k / n, 4) if n else None


def outcome(records):
    """tasks, passed, pass@1, programs that do not compile and their share, execution
    statuses: of records that each have passed, syntax_error and exec['status']. The
    models' figures and the floors' share it."""
    n = len(records)
    statuses = {}
    for r in records:
        key = r["exec"]["status"].split(":")[0]
        statuses[key] = statuses.get(key, 0) + 1
    passed = sum(bool(r["passed"]) for r in records)
    syntax = sum(bool(r["syntax_error"]) for r in records)
    return {"tasks": n, "passed": passed, "pass@1": share(passed, n),
            "syntax_errors": syntax, "syntax_error_share": share(syntax, n),
            "exec_status": statuses}


def by_subset(records, block):
    """{subset: block(its records)} in the records' order, and 'all': block(records)."""
    subsets = []
    for r in records:
        if r["subset"] not in subsets:
            subsets.append(r["subset"])
    out = {s: block([r for r in records if r["subset"] == s]) for s in subsets}
    out["all"] = block(records)
    return out


def figures(records):
    """The figures of one model over records (each: subset, passed, syntax_error, exact,
    exec, completion dict): per subset and over all."""
    def block(rs):
        n = len(rs)
        comps = [r["completion"] for r in rs]
        finish = {}
        for c in comps:
            finish[c["finish_reason"]] = finish.get(c["finish_reason"], 0) + 1
        return dict(outcome(rs), **{
            "exact": sum(r["exact"] for r in rs),
            "exact_match": share(sum(r["exact"] for r in rs), n),
            "engine_errors": sum(c["error"] is not None for c in comps),
            "empty": sum(not c["text"].strip() for c in comps),
            # an empty middle passes where the removed lines are redundant for the tests
            "passed_empty": sum(r["passed"] and not r["completion"]["text"].strip()
                                for r in rs),
            "newline_appended": sum(bool(r.get("newline_appended")) for r in rs),
            "forwards": dist([c["stats"].get("forwards") for c in comps]),
            "tokens": dist([c["tokens"] for c in comps]),
            "tokens_per_forward": dist([c["stats"].get("tokens_per_forward") for c in comps]),
            "total_ms": dist([c["stats"].get("total_ms") for c in comps]),
            "wall_ms": dist([c["wall_ms"] for c in comps]),
            "overhead_ms": dist([c["overhead_ms"] for c in comps]),
            "finish_reasons": finish,
        })

    return by_subset(records, block)


def agreement(records_a, records_b):
    """Per-task agreement of two models on the same tasks, per subset and over all:
    tasks, both pass, only A, only B, neither (the four add up to tasks)."""
    b_passed = {r["task_id"]: bool(r["passed"]) for r in records_b}

    def block(rs):
        out = {"tasks": len(rs), "both": 0, "only_a": 0, "only_b": 0, "neither": 0}
        for r in rs:
            a, b = bool(r["passed"]), b_passed[r["task_id"]]
            out["both" if a and b else "only_a" if a else "only_b" if b else "neither"] += 1
        return out

    return by_subset(records_a, block)


def agreement_lines(label_a, label_b, agree):
    w = max(8, len(label_a) + 5, len(label_b) + 5)
    out = ["per-task agreement (the same tasks, pass or fail):",
           "  %-12s %6s  %6s  %*s  %*s  %8s" % ("subset", "tasks", "both", w,
                                               "only " + label_a, w, "only " + label_b,
                                               "neither")]
    for s, g in agree.items():
        out.append("  %-12s %6d  %6d  %*d  %*d  %8d" % (s, g["tasks"], g["both"], w,
                                                       g["only_a"], w, g["only_b"],
                                                       g["neither"]))
    return out


def _git(repo, *args):
    try:
        r = subprocess.run(["git", "-C", repo] + list(args), capture_output=True, text=True,
                           timeout=30)
        return r.stdout.strip() if r.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine(repo):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": round(mem_kb / 2 ** 20, 1) if mem_kb else None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git(repo, "rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
    }


def pct(x):
    return "-" if x is None else "%.1f%%" % (100 * x)


def _d(d, key="mean"):
    return None if not d else d[key]


def _num(x, digits=1):
    return "-" if x is None else ("%.*f" % (digits, x))


def summary_lines(label, figs):
    """A few lines per subset for one model."""
    out = ["%s" % label]
    hdr = "  %-12s %6s %8s %8s %8s %9s %9s %9s %9s %9s %9s" % (
        "subset", "tasks", "pass@1", "exact", "syntax", "fwd/comp", "tok/comp", "ms mean",
        "ms p50", "ms p95", "wall p50")
    out.append(hdr)
    for s, f in figs.items():
        out.append("  %-12s %6d %8s %8s %8s %9s %9s %9s %9s %9s %9s" % (
            s, f["tasks"], pct(f["pass@1"]), pct(f["exact_match"]),
            pct(f["syntax_error_share"]),
            _num(_d(f["forwards"]), 2), _num(_d(f["tokens"]), 1),
            _num(_d(f["total_ms"])), _num(_d(f["total_ms"], "p50")),
            _num(_d(f["total_ms"], "p95")), _num(_d(f["wall_ms"], "p50"))))
    f = figs["all"]
    extra = ("  engine errors %d, empty completions %d (%d of them pass), newline appended %d,"
             " finish %s" % (f["engine_errors"], f["empty"], f["passed_empty"],
                             f["newline_appended"],
                             ", ".join("%s %d" % kv for kv in sorted(f["finish_reasons"].items()))))
    out.append(extra)
    out.append("  syntax: the share of completions that make the program a SyntaxError")
    out.append("  execution: %s; process overhead per completion p50 %s ms" % (
        ", ".join("%s %d" % kv for kv in sorted(f["exec_status"].items())),
        _num(_d(f["overhead_ms"], "p50"))))
    return out


COMPARE_ROWS = [
    ("pass@1", lambda f: f["pass@1"], pct),
    ("exact match", lambda f: f["exact_match"], pct),
    ("SyntaxError share", lambda f: f["syntax_error_share"], pct),
    ("forwards / completion", lambda f: _d(f["forwards"]), lambda x: _num(x, 2)),
    ("tokens / completion", lambda f: _d(f["tokens"]), lambda x: _num(x, 1)),
    ("tokens / forward", lambda f: _d(f["tokens_per_forward"]), lambda x: _num(x, 2)),
    ("engine ms mean", lambda f: _d(f["total_ms"]), _num),
    ("engine ms p50", lambda f: _d(f["total_ms"], "p50"), _num),
    ("engine ms p95", lambda f: _d(f["total_ms"], "p95"), _num),
    ("wall ms mean", lambda f: _d(f["wall_ms"]), _num),
    ("wall ms p50", lambda f: _d(f["wall_ms"], "p50"), _num),
    ("wall ms p95", lambda f: _d(f["wall_ms"], "p95"), _num),
]


def compare_table(label_a, figs_a, label_b, figs_b):
    """Rows of figures per subset, the two models side by side and B/A."""
    rows = []
    w = max(12, len(label_a), len(label_b))
    rows.append("%-12s %-22s %*s %*s %8s" % ("subset", "figure", w, label_a, w, label_b, "B/A"))
    for s in figs_a:
        if s not in figs_b:
            continue
        for name, get, fmt in COMPARE_ROWS:
            a, b = get(figs_a[s]), get(figs_b[s])
            ratio = "-" if a in (None, 0) or b is None else "%.2f" % (b / a)
            rows.append("%-12s %-22s %*s %*s %8s" % (s, name, w, fmt(a), w, fmt(b), ratio))
    return rows


def compare_json(figs_a, figs_b):
    out = {}
    for s in figs_a:
        if s not in figs_b:
            continue
        out[s] = {}
        for name, get, _ in COMPARE_ROWS:
            a, b = get(figs_a[s]), get(figs_b[s])
            out[s][name] = {"a": a, "b": b,
                            "b_over_a": None if a in (None, 0) or b is None
                            else round(b / a, 4)}
    return out
