#!/usr/bin/env python3
"""tools/train/ship_check.py: a new model replaces models/default only when it beats the
shipped model and every floor on the single-line tasks.

Reports are built here in the shape tools/eval/humaneval_infilling.py writes (figures per
model and subset, floors per floor and subset, the task selection in "data"); each case
checks the exit status and the verdict lines.
"""
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "train", "ship_check.py")
RESULTS = []


def report_of(old, new, floors, tasks=1033):
    sub = lambda p: {"single": {"tasks": tasks, "pass@1": p}}  # noqa: E731
    return {"data": {"subsets": ["single"], "limit_per_subset": None, "sample_seed": 0,
                     "tasks": tasks},
            "figures": {"shipped": sub(old), "new": sub(new)},
            "floors": {"figures": {k: sub(v) for k, v in floors.items()}}}


FLOORS = {"empty": 0.026, "pass": 0.043, "return False": 0.053, "return True": 0.04}


def run(work, report, *extra):
    path = os.path.join(work, "r%d.json" % len(RESULTS))
    with open(path, "w") as f:
        json.dump(report, f)
    r = subprocess.run([sys.executable, TOOL, path, "--old", "shipped", "--new", "new"]
                       + list(extra), capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def check(name, ok, out):
    RESULTS.append(ok)
    print("%s: %s" % ("PASS" if ok else "FAIL", name))
    if not ok:
        print(out)


def main():
    work = tempfile.mkdtemp(prefix="ship_check_")
    rc, out = run(work, report_of(0.015, 0.08, FLOORS))
    check("a model above the shipped one and every floor ships (exit 0, 5 'beats' lines)",
          rc == 0 and out.count("beats") == 5 and "ship: yes" in out, out)
    rc, out = run(work, report_of(0.015, 0.05, FLOORS))
    check("a model below the floor 'return False' does not ship (exit 1, named)",
          rc == 1 and "DOES NOT BEAT: new 5.0% vs the floor 'return False' 5.3%" in out, out)
    rc, out = run(work, report_of(0.09, 0.08, FLOORS))
    check("a model below the shipped one does not ship", rc == 1 and "ship: no" in out, out)
    rc, out = run(work, report_of(0.015, 0.053, FLOORS))
    check("equal to a floor is not beating it", rc == 1, out)
    no_floors = report_of(0.015, 0.08, FLOORS)
    del no_floors["floors"]
    rc, out = run(work, no_floors)
    check("a report without floors is refused (exit 2)", rc == 2 and "no floors" in out, out)
    other = report_of(0.0, 0.0, FLOORS, tasks=200)
    path = os.path.join(work, "floors.json")
    with open(path, "w") as f:
        json.dump(other, f)
    rc, out = run(work, no_floors, "--floors", path)
    check("floors measured on other tasks are refused (exit 2)",
          rc == 2 and "other tasks" in out, out)
    with open(path, "w") as f:
        json.dump(report_of(0.0, 0.0, FLOORS), f)
    rc, out = run(work, no_floors, "--floors", path)
    check("floors from a separate report on the same tasks are used", rc == 0, out)
    failed = RESULTS.count(False)
    print("%d passed, %d failed" % (len(RESULTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
