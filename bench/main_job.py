#!/usr/bin/env python3
"""The README's main job (`infilld complete --show examples/primes.py:10:9` with the default
model) timed side by side: the CPU's own instruction set and AVX2 forced (INFILLD_CPU_ISA),
OpenMP's waiting threads as infilld sets them (passive, OMP_WAIT_POLICY unset: the process
sets it and starts again) and active (OpenMP's default), on a quiet machine and beside one
CPU-bound process. With --cuda-libs, also infilld's own policy with those libraries
preloaded (LD_PRELOAD), which is what every start cost while the binary linked the CUDA
runtime and cuBLAS (before the CUDA backend became a module loaded on first use).
Rounds interleave the configurations; the figures are medians of wall time, written as
one JSON object with the machine they ran on.

    bench/main_job.py --infilld build/infilld [--rounds 5] [--out bench/results/main_job.json]
        [--cuda-libs /usr/local/cuda/lib64/libcudart.so.13:/usr/local/cuda/lib64/libcublas.so.13]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return [f for f in ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
                                    "amx_tile") if f in flags]
    return []


def write_record(path, record):
    """A benchmark's result file: one JSON object, indented, with a final newline."""
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


def run_once(binary, isa, policy, preload):
    env = dict(os.environ)
    for k in ("INFILLD_MODEL", "OMP_WAIT_POLICY", "LD_PRELOAD"):
        env.pop(k, None)
    if policy != "infilld":
        env["OMP_WAIT_POLICY"] = policy
    if preload:
        env["LD_PRELOAD"] = preload
    if isa:
        env["INFILLD_CPU_ISA"] = isa
    else:
        env.pop("INFILLD_CPU_ISA", None)
    t0 = time.monotonic()
    proc = subprocess.run([binary, "complete", "--json", os.path.join(REPO, "examples/primes.py") + ":10:9"],
                          env=env, capture_output=True, text=True, timeout=300)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit("main job failed: %s" % proc.stderr.strip())
    out = json.loads(proc.stdout)
    return wall * 1000.0, out["stats"]["forwards"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    ap.add_argument("--cuda-libs", help="colon-separated CUDA libraries to preload for the 'as linked before' rows")
    a = ap.parse_args()
    configs = [(isa, policy, "") for isa in ("", "avx2") for policy in ("infilld", "active")]
    if a.cuda_libs:
        configs += [(isa, "infilld", a.cuda_libs) for isa in ("", "avx2")]
    results = {}
    for load in ("quiet", "busy"):
        hog = None
        if load == "busy":  # one CPU-bound process beside infilld, stopped at the end
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            samples = {c: [] for c in configs}
            forwards = {}
            for _ in range(a.rounds):
                for c in configs:
                    ms, fw = run_once(a.infilld, *c)
                    samples[c].append(ms)
                    forwards[c] = fw
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        for (isa, policy, preload), ms in samples.items():
            key = "%s %s%s %s" % (isa or "native", "passive" if policy == "infilld" else policy,
                                  " cuda-preloaded" if preload else "", load)
            results[key] = {"median_ms": round(statistics.median(ms), 1), "min_ms": round(min(ms), 1),
                            "forwards": forwards[(isa, policy, preload)]}
            print(key, results[key], flush=True)
    record = {"machine": cpu_model(), "cpu_flags": cpu_flags(), "cores": os.cpu_count(),
              "benchmark": "bench/main_job.py", "rounds": a.rounds, "cuda_libs_preloaded": a.cuda_libs or None,
              "results": results}
    if a.out:
        write_record(a.out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
