#!/usr/bin/env python3
"""Whether a newly trained model may replace models/default: it must beat the shipped model
and every floor on the single-line HumanEval-Infilling tasks (issue 16: "replace
models/default only with a model that beats the shipped one and the floors").

    ship_check.py REPORT --old LABEL --new LABEL [--floors FLOORS_REPORT] [--subset single]

REPORT is a tools/eval/humaneval_infilling.py --compare report holding both models; the
floors come from it, or from FLOORS_REPORT (a --floors-only run on the same tasks: the
same subsets, limits and sample seed, which is checked). Prints one line per comparison;
exit status 0 when the new model beats all of them, 1 when not, 2 on bad input.
"""
import argparse
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def same_tasks(a, b):
    keys = ("subsets", "limit_per_subset", "sample_seed", "tasks")
    return all(a["data"].get(k) == b["data"].get(k) for k in keys)


def verdict(report, old, new, floors_report=None, subset="single"):
    """(ok, lines)."""
    figs = report["figures"]
    for label in (old, new):
        if label not in figs or subset not in figs[label]:
            raise ValueError("the report has no %s figures for %r" % (subset, label))
    source = floors_report or report
    if "floors" not in source:
        raise ValueError("no floors in %s" % ("the floors report" if floors_report else
                                              "the report (run it without --no-floors)"))
    if floors_report and not same_tasks(report, floors_report):
        raise ValueError("the floors report ran on other tasks")
    new_p = figs[new][subset]["pass@1"]
    bars = [("the shipped model (%s)" % old, figs[old][subset]["pass@1"])]
    bars += [("the floor '%s'" % name, f[subset]["pass@1"])
             for name, f in source["floors"]["figures"].items()]
    lines, ok = [], True
    for name, p in bars:
        beats = new_p > p
        ok = ok and beats
        lines.append("%s: %s %.1f%% vs %s %.1f%% on %d %s tasks" % (
            "beats" if beats else "DOES NOT BEAT", new, 100 * new_p, name, 100 * p,
            figs[new][subset]["tasks"], subset))
    return ok, lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--floors")
    ap.add_argument("--subset", default="single")
    a = ap.parse_args(argv)
    try:
        ok, lines = verdict(load(a.report), a.old, a.new,
                            load(a.floors) if a.floors else None, a.subset)
    except (OSError, ValueError, KeyError) as e:
        print("ship_check: %s" % e, file=sys.stderr)
        return 2
    print("\n".join(lines))
    print("ship: %s" % ("yes" if ok else "no"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
