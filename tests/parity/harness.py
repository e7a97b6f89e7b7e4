"""What the Python-driven tests share: their command line, their work folder, and how they
report skips.

Skips follow the project's convention: a case that cannot run here prints `skipped NAME:
why`, the last line is `N passed, M failed, K skipped`, and a test that cannot run at all
prints `skipped: why` as its first line and exits 0 (ctest: SKIP_REGULAR_EXPRESSION
"^skipped: ", which matches only at the very start of the output). With INFILLD_REQUIRE_ALL=1
in the environment (CI) every skip is a failure instead (exit status 1).
"""
import argparse
import os
import tempfile


def parse_args(doc, workdir_help, timeout, argv=None, extra=None):
    """Parses --infilld, --workdir, --only, --timeout (and what `extra(parser)` adds).
    Returns (args, binary) with the binary's path made absolute when it has a folder."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--infilld", required=True, help="path to the infilld binary")
    p.add_argument("--workdir", help=workdir_help + " (default: a temp dir)")
    p.add_argument("--only", help="run only the cases whose name contains this")
    p.add_argument("--timeout", type=int, default=timeout, help="seconds per infilld run")
    if extra is not None:
        extra(p)
    a = p.parse_args(argv)
    return a, (os.path.abspath(a.infilld) if os.sep in a.infilld else a.infilld)


def work_dir(requested, prefix):
    """The folder to work in: `requested` (kept), else a temp dir. Returns (path, cleanup)."""
    if requested:
        os.makedirs(requested, exist_ok=True)
        return requested, lambda: None
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    return tmp.name, tmp.cleanup


def require_all():
    """INFILLD_REQUIRE_ALL=1 (CI): a skip is a failure."""
    return os.environ.get("INFILLD_REQUIRE_ALL", "") == "1"


def skip_all(why):
    """The whole test cannot run here: prints `skipped: why` and returns exit status 0, or
    with INFILLD_REQUIRE_ALL=1 prints a failure and returns 1."""
    if require_all():
        print("FAIL: %s (INFILLD_REQUIRE_ALL=1: a skip is a failure)" % why)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    print("skipped: %s" % why, flush=True)
    return 0


def skip_case(name, why):
    """One case cannot run here: prints `skipped NAME: why` and returns True (count it as
    skipped), or with INFILLD_REQUIRE_ALL=1 prints a failure and returns False (a failure)."""
    if require_all():
        print("FAIL %s: skipped (%s), and INFILLD_REQUIRE_ALL=1" % (name, why), flush=True)
        return False
    print("skipped %s: %s" % (name, why), flush=True)
    return True


def summary(passed, failed, skipped=0):
    """Prints the last line, `N passed, M failed, K skipped`; returns the exit status."""
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0
