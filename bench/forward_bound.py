#!/usr/bin/env python3
"""The CPU forward pass against this machine's own bounds (issue 21: "within 3x of the
machine's bound"). bench_machine_bounds measures the float32 FMA rate and the copy
bandwidth of all cores; for each model, weight format (stored, and q8) and instruction set
(the CPU's own, and AVX2 forced with INFILLD_CPU_ISA when the CPU has more),
`infilld bench forward` times the forward at each position count (one warm-up, then
--repeat runs, median), interleaved over --rounds. The bound of a forward is the larger of
its arithmetic at the FMA rate and its weight bytes at the copy bandwidth:

    flops = 2 T (L (H*A*D + 2*H*KV*D + A*D*H + 3*H*F) + V*H) + 4 T^2 L A D   (full attention)
    bytes = the matmul weights once (2 per parameter in BF16, 34/32 in q8)

and the figure is measured / bound (1.0 would be the machine's limit). Written as one JSON
object with the machine's bounds, the CPU and its flags.

    /usr/bin/python3 bench/forward_bound.py [--infilld build/infilld] [--model models/default]
        [--model bench/work/open-dcoder-0.5b-shaped-bf16] [--positions 16,32,512] [--rounds 3]
        [--repeat 10] [--quantize none,q8] [--out bench/results/forward_bound_zen3.json]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from main_job import cpu_flags, cpu_model, write_record  # noqa: E402


def shape(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    h, a = c["hidden_size"], c["num_attention_heads"]
    d = c.get("head_dim") or h // a
    return {"L": c["num_hidden_layers"], "H": h, "A": a, "KV": c.get("num_key_value_heads", a), "D": d,
            "F": c["intermediate_size"], "V": c["vocab_size"], "dtype": c.get("torch_dtype", "float32")}


def flops_and_bytes(s, t, quantize):
    layer = s["H"] * s["A"] * s["D"] + 2 * s["H"] * s["KV"] * s["D"] + s["A"] * s["D"] * s["H"] + 3 * s["H"] * s["F"]
    params = s["L"] * layer + s["V"] * s["H"]
    flops = 2.0 * t * params + 4.0 * t * t * s["L"] * s["A"] * s["D"]
    per_param = 34.0 / 32.0 if quantize == "q8" else (4.0 if s["dtype"] == "float32" else 2.0)
    return flops, params * per_param


def bench_forward(binary, model_dir, positions, repeat, quantize, isa):
    env = dict(os.environ)
    env.pop("INFILLD_CPU_ISA", None)
    if isa:
        env["INFILLD_CPU_ISA"] = isa
    cmd = [binary, "bench", "forward", "--model", model_dir, "--device", "cpu",
           "--positions", ",".join(map(str, positions)), "--repeat", str(repeat)]
    if quantize != "none":
        cmd += ["--quantize", quantize]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        raise SystemExit("infilld bench forward failed: %s" % p.stderr.strip())
    return {d["positions"]: d["median_ms"] for d in (json.loads(l) for l in p.stdout.splitlines() if l.strip())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--infilld", default=os.path.join(ROOT, "build", "infilld"))
    ap.add_argument("--bounds", default=os.path.join(ROOT, "build", "bench", "bench_machine_bounds"))
    ap.add_argument("--model", action="append", help="model folder (repeatable; default models/default)")
    ap.add_argument("--positions", default="16,32,512")
    ap.add_argument("--quantize", default="none,q8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--out")
    a = ap.parse_args()
    models = a.model or [os.path.join(ROOT, "models", "default")]
    positions = [int(p) for p in a.positions.split(",")]
    cpu, flags = cpu_model(), cpu_flags()
    isas = [""] + (["avx2"] if "avx512f" in flags else [])

    bounds = json.loads(subprocess.run([a.bounds], capture_output=True, text=True, check=True).stdout)
    print("machine bounds:", bounds, flush=True)
    fma = bounds["fma_avx512_gflops_all"] if "fma_avx512_gflops_all" in bounds else bounds["fma_avx2_gflops_all"]
    fma_avx2 = bounds["fma_avx2_gflops_all"]
    copy = bounds["copy_gbps_all"]

    configs = [(m, q, isa) for m in models for q in a.quantize.split(",") for isa in isas]
    samples = {c: {t: [] for t in positions} for c in configs}
    for _ in range(a.rounds):
        for c in configs:
            for t, ms in bench_forward(a.infilld, c[0], positions, a.repeat, c[1], c[2]).items():
                samples[c][t].append(ms)

    rows = []
    for (m, q, isa), by_t in samples.items():
        s = shape(m)
        rate = fma_avx2 if (isa == "avx2" or "avx512f" not in flags) else fma
        for t in positions:
            flops, nbytes = flops_and_bytes(s, t, q)
            compute_ms, memory_ms = flops / (rate * 1e9) * 1e3, nbytes / (copy * 1e9) * 1e3
            bound = max(compute_ms, memory_ms)
            ms = statistics.median(by_t[t])
            row = {"model": os.path.relpath(m, ROOT), "weights": q if q != "none" else s["dtype"],
                   "isa": isa or "native", "positions": t, "median_ms": round(ms, 3),
                   "runs_ms": [round(x, 3) for x in by_t[t]], "gflop": round(flops / 1e9, 3),
                   "weight_mib": round(nbytes / 2**20, 1), "compute_bound_ms": round(compute_ms, 3),
                   "memory_bound_ms": round(memory_ms, 3), "times_bound": round(ms / bound, 2)}
            rows.append(row)
            print("%-40s %-9s %-6s T=%-4d %8.2f ms  bound %7.2f ms (%s)  x%.2f" % (
                row["model"], row["weights"], row["isa"], t, ms, bound,
                "compute" if compute_ms >= memory_ms else "memory", row["times_bound"]), flush=True)

    record = {"benchmark": "bench/forward_bound.py", "machine": cpu, "cpu_flags": flags, "cores": os.cpu_count(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "git_commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                           text=True).stdout.strip(),
              "bounds": bounds, "rounds": a.rounds, "repeat": a.repeat, "results": rows}
    if a.out:
        write_record(a.out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
