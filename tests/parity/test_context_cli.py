#!/usr/bin/env python3
"""`infilld context FILE:LINE:COL` on a file of every supported language (and plain text):
exit 0, the right language, a shape, and (the budget being ample) prefix + suffix equal to
the file split at the cursor.

    test_context_cli.py --infilld PATH
Ends with the line `N passed, M failed, 0 skipped`; exit status 1 on failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FILES = {
    "c": ("main.c", "#include <stdio.h>\n\nint main(void) {\n    int x = 1;\n    \n    return x;\n}\n", (5, 5)),
    "cpp": ("a.cpp", "#include <vector>\n\nint sum(const std::vector<int>& v) {\n    int s = 0;\n    for (int x : v) {\n        \n    }\n    return s;\n}\n", (6, 9)),
    "python": ("m.py", "import os\n\ndef f(x):\n    y = x + 1\n    \n    return y\n", (5, 5)),
    "javascript": ("m.js", "const fs = require('fs');\n\nfunction f(a) {\n  \n}\n", (4, 3)),
    "typescript": ("m.ts", "import { x } from './x';\n\nexport function f(a: number): number {\n  \n}\n", (4, 3)),
    "tsx": ("m.tsx", "export function App() {\n  return <div>{\n  }</div>;\n}\n", (2, 15)),
    "go": ("m.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\t\n}\n", (6, 2)),
    "rust": ("m.rs", "use std::io;\n\nfn main() {\n    \n}\n", (4, 5)),
    "java": ("A.java", "import java.util.List;\n\nclass A {\n    void f() {\n        \n    }\n}\n", (5, 9)),
    "plaintext": ("notes.txt", "first line\nsecond \nthird\n", (2, 8)),
}


def split_at(text, line, col):
    lines = text.split("\n")
    offset = sum(len(l) + 1 for l in lines[:line - 1]) + (col - 1)
    return text[:offset], text[offset:]


def section(out, start, end):
    return out.split(start, 1)[1].split(end, 1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    a = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="infilld-context-") as tmp:
        for language, (name, text, (line, col)) in FILES.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            proc = subprocess.run([a.infilld, "context", "%s:%d:%d" % (path, line, col)],
                                  capture_output=True, text=True)
            prefix, suffix = split_at(text, line, col)
            problems = []
            if proc.returncode != 0:
                problems.append("exit %d: %s" % (proc.returncode, proc.stderr.strip()))
            else:
                out = proc.stdout
                if ("language   %s" % language) not in out:
                    problems.append("language line: %r" % out.splitlines()[1])
                if "shape      " not in out:
                    problems.append("no shape line")
                got_prefix = section(out, "----- prefix -----\n", "<|cursor|>\n----- suffix -----")
                got_suffix = section(out, "----- suffix -----\n", "\n----- end -----")
                if got_prefix != prefix or got_suffix != suffix:
                    problems.append("prefix/suffix %r / %r, expected %r / %r"
                                    % (got_prefix, got_suffix, prefix, suffix))
            if problems:
                print("FAIL %s %s" % (language, "; ".join(problems)))
                failed += 1
            else:
                print("ok %s %s" % (language, [l for l in proc.stdout.splitlines() if l.startswith("shape")][0]))
                passed += 1
        # --with: the definition of what the cursor's code calls comes from another file.
        util = os.path.join(tmp, "util.py")
        with open(util, "w") as f:
            f.write("def clamp(value, low, high):\n    return max(low, min(value, high))\n")
        main_py = os.path.join(tmp, "main_with.py")
        with open(main_py, "w") as f:
            f.write("import util\n\ndef main(v):\n    x = clamp(v, 0, 10)\n    \n")
        proc = subprocess.run([a.infilld, "context", "%s:5:5" % main_py, "--with", util],
                              capture_output=True, text=True)
        prefix = section(proc.stdout, "----- prefix -----\n", "<|cursor|>") if proc.returncode == 0 else ""
        if prefix.startswith("# %s\n# def clamp(value, low, high):\n" % util):
            print("ok with-definitions %s" % [l for l in proc.stdout.splitlines() if l.startswith("snippets")][0])
            passed += 1
        else:
            print("FAIL with-definitions exit %d %r %r" % (proc.returncode, proc.stdout[:400], proc.stderr))
            failed += 1
    return harness.summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
