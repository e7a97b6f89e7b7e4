#!/usr/bin/env python3
"""The shipped default model (models/default): what the README's main command relies on.

- the folder is an infilld FIM checkpoint no larger than 30 MiB, with its model card
  (data, training, loss curve, an evaluation table holding the diffusion model and the
  autoregressive baseline)
- `infilld complete --show examples/primes.py:10:9`, with no --model and no INFILLD_MODEL
  (scripts/setup.sh's command), finds it, exits 0 and shows a non-empty completion
  between the marks
- `infilld complete --json` through it fills a Python body with printable text, in no more
  forwards than positions, and the parallel decoding (--threshold) in no more forwards

    test_default_model.py --infilld PATH [--only SUBSTRING]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import harness  # noqa: E402

MODEL = os.path.join(REPO, "models", "default")
MAX_BYTES = 30 * 2 ** 20
OPEN, CLOSE = "\u27e6", "\u27e7"


def clean_env(home):
    env = {k: v for k, v in os.environ.items() if k not in ("INFILLD_MODEL", "XDG_DATA_HOME")}
    env["HOME"] = home
    return env


def main(argv=None):
    a, binary = harness.parse_args(__doc__, "unused", 120, argv)
    results = []

    def check(name, ok, detail=""):
        if a.only and a.only not in name:
            return
        results.append(bool(ok))
        print("%s  %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + str(detail)))

    files = {n: os.path.getsize(os.path.join(MODEL, n)) for n in os.listdir(MODEL)
             if os.path.isfile(os.path.join(MODEL, n))} if os.path.isdir(MODEL) else {}
    cfg = json.load(open(os.path.join(MODEL, "config.json"))) if "config.json" in files else {}
    check("models/default is an infilld_fim checkpoint", cfg.get("model_type") == "infilld_fim",
          cfg.get("model_type"))
    weights = files.get("model.safetensors", 0)
    check("the weights are at most 30 MiB", 0 < weights <= MAX_BYTES, weights)
    card = open(os.path.join(MODEL, "README.md"), encoding="utf-8").read() \
        if "README.md" in files else ""
    for heading in ("## Data and licences", "## Training", "## Evaluation", "## Retraining"):
        check("the model card has %s" % heading, heading in card)
    check("the card's loss curve exists", "loss.svg" in files and "(loss.svg)" in card)
    rows = [l for l in card.splitlines() if l.startswith("| ") and "%" in l]
    check("the evaluation table has the diffusion model and the autoregressive baseline",
          any(l.startswith("| diffusion |") for l in rows)
          and any(l.startswith("| autoregressive |") for l in rows), rows)

    with tempfile.TemporaryDirectory(prefix="infilld-default-") as home:
        p = subprocess.run([binary, "complete", "--show", "examples/primes.py:10:9"], cwd=REPO,
                           env=clean_env(home), capture_output=True, text=True, timeout=a.timeout)
        first = p.stdout.splitlines()[0] if p.stdout else ""
        check("setup.sh's command exits 0", p.returncode == 0, p.stderr)
        check("it found models/default without --model",
              first.startswith("model ") and
              os.path.realpath(first.split()[1].rstrip(":")) == os.path.realpath(MODEL), first)
        m = re.search(OPEN + "(.*?)" + CLOSE, p.stdout, re.S)
        check("it shows a non-empty completion in examples/primes.py",
              m is not None and m.group(1).strip() != "", p.stdout)
        if p.returncode == 0:
            print(p.stdout, end="")

        prefix = "def count_even(xs):\n    n = 0\n    for x in xs:\n        if x % 2 == 0:\n"
        suffix = "    return n\n"
        runs = {}
        for name, extra in (("one token per forward", []), ("parallel", ["--threshold", "0.9"])):
            q = subprocess.run([binary, "complete", "--stdin", "--json", "--language", "python"]
                               + extra, input=json.dumps({"prefix": prefix, "suffix": suffix}),
                               env=clean_env(home), capture_output=True, text=True,
                               timeout=a.timeout)
            out = json.loads(q.stdout) if q.returncode == 0 and q.stdout.strip() else {}
            runs[name] = out
            text = out.get("text", "")
            st = out.get("stats", {})
            check("complete --json (%s): printable text" % name,
                  q.returncode == 0 and text.strip() != ""
                  and all(c.isprintable() or c in "\n\t" for c in text),
                  (q.returncode, q.stderr, out))
            check("complete --json (%s): 1 <= forwards <= tokens revealed" % name,
                  1 <= st.get("forwards", 0) <= max(1, st.get("revealed", 0)), st)
        fa = runs["one token per forward"].get("stats", {}).get("forwards", 0)
        fb = runs["parallel"].get("stats", {}).get("forwards", 0)
        check("parallel decoding takes no more forwards (%d vs %d)" % (fb, fa), 0 < fb <= fa)
    status = harness.summary(results.count(True), results.count(False))
    return status if results else 1


if __name__ == "__main__":
    sys.exit(main())
