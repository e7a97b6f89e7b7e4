#!/usr/bin/env python3
"""The corpus decontamination (tools/train/decontam.py) removes benchmark functions and
keeps clean code: HumanEval functions copied, renamed or reduced to their body inside a
Python module; SAFIM programs inside C++ and Python files; generic names with other
bodies and real standard-library code untouched.

    test_corpus_decontam.py [--bench-data DIR]    (default: ../shared/data)
Skips (`skipped: why`, exit 0; with INFILLD_REQUIRE_ALL=1 a failure) when the benchmark
data is absent. Ends with `N passed, M failed, 0 skipped`.
"""
import argparse
import gzip
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
sys.path.insert(0, os.path.join(REPO, "tests", "parity"))
import decontam  # noqa: E402
import harness  # noqa: E402

CLEAN_BEFORE = '''import os


class Registry:
    def __init__(self):
        self.items = []

    def add(self, item):
        """Adds an item, keeping insertion order."""
        self.items.append(item)
        return len(self.items)


'''
CLEAN_AFTER = '''

def keep_me(path):
    return os.path.join(path, "kept")
'''


def first(path, pred=lambda r: True):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if pred(r):
                return r
    raise SystemExit("no matching record in %s" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench-data", default=os.path.join(os.path.dirname(REPO), "shared", "data"))
    a = ap.parse_args()
    bench = decontam.load_benchmarks(a.bench_data)
    if bench is None:
        return harness.skip_all("no benchmark data at %s" % a.bench_data)
    passed = failed = 0

    def expect(ok, name, detail=""):
        nonlocal passed, failed
        passed += bool(ok)
        failed += not ok
        if not ok:
            print("FAIL %s %s" % (name, detail))

    he = os.path.join(a.bench_data, "humaneval-infilling",
                      "HumanEval-RandomSpanInfillingLight.jsonl.gz")
    r0 = first(he, lambda r: r["entry_point"] == "has_close_elements")
    whole = (r0["prompt"] + r0["canonical_solution"] + r0["suffix"]).strip("\n") + "\n"
    body_only = "def truncate_number(number):\n    return number % 1.0\n"
    renamed = whole.replace("has_close_elements", "any_two_near")
    renamed = renamed.split('"""')[0] + renamed.split('"""', 2)[2]  # no docstring either

    for name, func, fname in (("copied HumanEval function", whole, "has_close_elements"),
                              ("renamed, undocumented copy", renamed, "any_two_near"),
                              ("same name, solution body only", body_only, "truncate_number")):
        text = CLEAN_BEFORE + func + CLEAN_AFTER
        out, records = decontam.check(bench, text, "python")
        expect(out is not None and "def %s" % fname not in out and "def keep_me" in out
               and "def add(self, item)" in out and records
               and records[0]["kind"] == "function", name, repr(records))
    out, records = decontam.check(bench, CLEAN_BEFORE + CLEAN_AFTER, "python")
    expect(out == CLEAN_BEFORE + CLEAN_AFTER and not records, "clean module untouched",
           repr(records))

    safim = os.path.join(a.bench_data, "safim", "block_completion.jsonl.gz")
    for lang in ("cpp", "python"):
        r = first(safim, lambda x: x["lang"] == lang)
        prog = r["eval_prompt"].replace("{{completion}}", r["ground_truth"]).replace("\r\n", "\n")
        text = "// vendored\n" + prog if lang == "cpp" else "# vendored\n" + prog
        out, records = decontam.check(bench, text, lang)
        expect(out is None and records and records[0]["kind"] == "file",
               "SAFIM %s program drops its file" % lang, repr(records))

    import heapq
    import textwrap
    for path in (textwrap.__file__, heapq.__file__):  # the running Python's own stdlib
        with open(path, encoding="utf-8") as f:
            text = f.read()
        out, records = decontam.check(bench, text, "python")
        expect(out == text and not records, "stdlib %s untouched" % path, repr(records))
    return harness.summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
