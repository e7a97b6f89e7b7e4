#!/usr/bin/env python3
"""A 32-token infill with 512 context tokens on a random Open-dCoder-0.5B-shaped checkpoint:
forward passes, positions computed, tokens per forward and latency for each cache mode
(none, prefix, dual) and each fixed number of tokens per step (1, 2, 4, 8: the even
schedule over 32, 16, 8 and 4 steps, one block).

The checkpoint is the one bench/forward_vs_torch.py writes (bench/work). The model is
random, so the text is noise: this measures cost, not quality. Records
bench/results/infill_cache_modes.json with the machine.

Usage: /usr/bin/python3 bench/infill_cache_modes.py --infilld build/infilld [--repeat 1]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import tiny_checkpoint  # noqa: E402
from forward_vs_torch import OPEN_DCODER_05B, machine  # noqa: E402

CONTEXT = 512
SPAN = 32


def run(binary, model_dir, prefix, suffix, cache, per_step):
    cmd = [binary, "complete", "--model", model_dir, "--json", "--raw",
           "--prefix-ids", ",".join(map(str, prefix)), "--suffix-ids", ",".join(map(str, suffix)),
           "--max-tokens", str(SPAN), "--steps", str(SPAN // per_step), "--schedule", "even",
           "--block-length", str(SPAN), "--alg", "confidence", "--temperature", "0", "--cache", cache]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--dtype", choices=("bf16", "f32"), default="bf16")
    ap.add_argument("--workdir", default=os.path.join(HERE, "work"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "infill_cache_modes.json"))
    args = ap.parse_args()

    model_dir = os.path.join(args.workdir, "open-dcoder-0.5b-shaped-" + args.dtype)
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        tiny_checkpoint.write_checkpoint(model_dir, "qwen2_mdm", args.dtype, shards=1, seed=5, **OPEN_DCODER_05B)
    # 512 context tokens: 384 before the cursor, 128 after (ids from the tiny tokenizer's bytes).
    ids = [(i * 37 + 11) % 250 for i in range(CONTEXT)]
    prefix, suffix = ids[:384], ids[384:]

    rows = []
    for per_step in (1, 2, 4, 8):
        for cache in ("none", "prefix", "dual"):
            r = run(args.infilld, model_dir, prefix, suffix, cache, per_step)
            s = r["stats"]
            row = {"tokens_per_step": per_step, "cache": cache, "forwards": s["forwards"],
                   "positions": s["positions"], "tokens_per_forward": s["tokens_per_forward"],
                   "latency_ms": s["total_ms"], "forward_ms": s["forward_ms"], "tokens": r["tokens"]}
            rows.append(row)
            print("k=%d %-6s forwards %2d positions %6d tokens/forward %.2f latency %8.1f ms"
                  % (per_step, cache, s["forwards"], s["positions"], s["tokens_per_forward"], s["total_ms"]),
                  file=sys.stderr)
    # Side by side: how far each cache's output strays from the exact (no cache) one.
    exact = {r["tokens_per_step"]: r["tokens"] for r in rows if r["cache"] == "none"}
    for r in rows:
        r["tokens_equal_to_no_cache"] = sum(a == b for a, b in zip(r["tokens"], exact[r["tokens_per_step"]]))
    result = {"benchmark": "32-token infill, 512 context tokens, random Open-dCoder-0.5B-shaped checkpoint",
              "dtype": args.dtype,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": machine(), "rows": rows}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
