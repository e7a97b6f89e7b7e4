#!/usr/bin/env python3
"""Held-out FIM tasks cut from the training corpus, and the decoding sweep that chooses the
default model's decoding on them (never on HumanEval or SAFIM, which stay for the
evaluation).

    heldout_fim.py make [--data build/tokenized-v2] [--out build/heldout_fim.jsonl]
                        [--n 300] [--seed 0]
    heldout_fim.py sweep --model DIR [--tasks build/heldout_fim.jsonl]
                         [--configs "SPEC;SPEC;..."] [--out R.json]

make: the files of the tokenized cache (tools/train/fim_data.py) that training holds out
(val.npy: crc32 of the text % 1000 < 10; train.py never samples them) are decoded back to
text; each task is one of their lines with at least 4 non-blank characters, drawn with a
fixed seed: the middle is the rest of the line from its indentation (70 %) or from a
random character inside it (30 %), without the newline; the prefix is up to 4,000
characters before it, the suffix up to 2,000 after it (from the newline on). One JSON
object per line: {id, language, prefix, suffix, middle}.

sweep: each decoding configuration (a string of `infilld complete` flags; "defaults" is
none) completes every task through `infilld complete --stdin --json --temperature 0
--language L` (tools/eval/engine_client.py). Per configuration: first-line exact match
(the completion's first line equals the middle, both stripped), forwards per completion,
tokens per forward, engine ms (p50, mean), and agreement with the first configuration
(the share of tasks whose first line is the same). The choice it supports (issue 16,
item 4): the configuration revealing the most tokens per forward whose exact match is
within 1 point of one token per forward.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
import engine_client  # noqa: E402
import he_report  # noqa: E402
import humaneval_infilling  # noqa: E402

PREFIX_CHARS, SUFFIX_CHARS = 4000, 2000


def held_out_texts(data_dir):
    """(language, text) of every held-out file of the tokenized cache."""
    import fim_data
    import tokenizer as tk
    data = fim_data.TokenData(data_dir)
    tok = tk.Tokenizer(data_dir)
    import numpy as np
    langs = np.load(os.path.join(data_dir, "doc_lang.npy"))
    names = data.meta["languages"]
    out = []
    for f in np.nonzero(data.val)[0]:
        ids = [int(t) for t in data.tokens[data.docs[f]:data.docs[f + 1]]]
        out.append((names[int(langs[f])], tok.decode(ids)))
    return out


def cut_task(rng, language, text):
    """A single-line task from text, or None when it has no usable line."""
    lines = text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    usable = [i for i, line in enumerate(lines) if len(line.strip()) >= 4]
    if not usable:
        return None
    i = rng.choice(usable)
    line = lines[i]
    indent = len(line) - len(line.lstrip())
    cut = indent if rng.random() < 0.7 else rng.randrange(indent, len(line.rstrip()))
    at = starts[i] + cut
    end = starts[i] + len(line)
    middle = text[at:end]
    if not middle.strip():
        return None
    return {"language": language, "prefix": text[max(0, at - PREFIX_CHARS):at],
            "suffix": text[end:end + SUFFIX_CHARS], "middle": middle}


def make(a):
    texts = held_out_texts(a.data)
    if not texts:
        raise SystemExit("heldout_fim: no held-out files in %s" % a.data)
    rng = random.Random(a.seed)
    tasks, tries = [], 0
    while len(tasks) < a.n and tries < 20 * a.n:
        tries += 1
        lang, text = texts[rng.randrange(len(texts))]
        t = cut_task(rng, lang, text)
        if t:
            t["id"] = "heldout/%d" % len(tasks)
            tasks.append(t)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    per = {}
    for t in tasks:
        per[t["language"]] = per.get(t["language"], 0) + 1
    print("%d tasks from %d held-out files -> %s (%s)"
          % (len(tasks), len(texts), a.out, ", ".join("%s %d" % kv for kv in sorted(per.items()))))
    return 0


def first_line(text):
    return text.split("\n", 1)[0].strip()


def figures(records):
    ok = [r for r in records if not r["error"]]
    fw = [r["forwards"] for r in ok if r["forwards"]]
    ms = [r["total_ms"] for r in ok if r["total_ms"] is not None]
    tokens = sum(r["tokens"] for r in ok)
    return {"tasks": len(records), "errors": len(records) - len(ok),
            "first_line_exact": sum(r["exact"] for r in ok) / max(1, len(records)),
            "forwards_mean": statistics.mean(fw) if fw else None,
            "tokens_per_forward": tokens / max(1, sum(fw)),
            "engine_ms_p50": statistics.median(ms) if ms else None,
            "engine_ms_mean": statistics.mean(ms) if ms else None}


def sweep(a):
    with open(a.tasks, encoding="utf-8") as f:
        tasks = [json.loads(line) for line in f if line.strip()]
    if a.limit:
        tasks = tasks[:a.limit]
    configs = [c.strip() for c in a.configs.split(";") if c.strip()]
    report = {"tool": "tools/eval/heldout_fim.py", "model": os.path.abspath(a.model),
              "tasks": a.tasks, "n": len(tasks), "machine": he_report.machine(REPO),
              "configs": {}}
    records = {c: [] for c in configs}
    t0 = time.time()
    for i, t in enumerate(tasks):
        for c in configs:
            flags = engine_client.base_flags(language=t["language"],
                                             extra="" if c == "defaults" else c)
            r = engine_client.complete(a.infilld, a.model, t["prefix"], t["suffix"], flags)
            st = r.get("stats") or {}
            records[c].append({"id": t["id"], "first_line": first_line(r["text"] or ""),
                               "exact": first_line(r["text"] or "") == t["middle"].strip(),
                               "tokens": r.get("tokens") or 0,
                               "forwards": st.get("forwards"), "total_ms": st.get("total_ms"),
                               "error": r["error"]})
        if (i + 1) % 50 == 0:
            print("%d/%d tasks (%.0f s)" % (i + 1, len(tasks), time.time() - t0), flush=True)
    ref = records[configs[0]]
    print("held-out FIM tasks: %d (%s), model %s, %s, %d cores"
          % (len(tasks), a.tasks, a.model, report["machine"]["cpu"], report["machine"]["cores"]))
    print("%-40s %8s %9s %8s %8s %9s" % ("decoding", "exact", "forwards", "tok/fwd", "ms p50",
                                         "agree"))
    for c in configs:
        f = figures(records[c])
        f["agreement_with_first"] = sum(x["first_line"] == y["first_line"] for x, y in
                                        zip(records[c], ref)) / max(1, len(tasks))
        report["configs"][c] = {"figures": f, "records": records[c]}
        print("%-40s %7.1f%% %9s %8.2f %8s %8.1f%%"
              % (c, 100 * f["first_line_exact"],
                 "-" if f["forwards_mean"] is None else "%.2f" % f["forwards_mean"],
                 f["tokens_per_forward"],
                 "-" if f["engine_ms_p50"] is None else "%.1f" % f["engine_ms_p50"],
                 100 * f["agreement_with_first"]))
    humaneval_infilling.write_report(a, report)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make", help="cut single-line tasks from the held-out files")
    m.add_argument("--data", default=os.path.join(REPO, "build", "tokenized-v2"))
    m.add_argument("--out", default=os.path.join(REPO, "build", "heldout_fim.jsonl"))
    m.add_argument("--n", type=int, default=300)
    m.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("sweep", help="decoding configurations side by side on the tasks")
    s.add_argument("--model", required=True)
    s.add_argument("--tasks", default=os.path.join(REPO, "build", "heldout_fim.jsonl"))
    s.add_argument("--configs", default="defaults",
                   help="';'-separated `infilld complete` flag strings; 'defaults' is none")
    s.add_argument("--limit", type=int)
    s.add_argument("--infilld", default=os.path.join(REPO, "build", "infilld"))
    s.add_argument("--out")
    a = ap.parse_args(argv)
    return make(a) if a.cmd == "make" else sweep(a)


if __name__ == "__main__":
    sys.exit(main())
