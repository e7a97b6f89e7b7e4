"""What the Python-driven tests share: their command line and their work folder."""
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
