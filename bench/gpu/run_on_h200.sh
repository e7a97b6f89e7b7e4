#!/usr/bin/env bash
# The GPU machine's whole check in one call (bench/gpu/README.md), after bench/gpu/pack.sh:
#   run(command="bash bench/gpu/run_on_h200.sh", carry=[".gpu"], timeout_s=540)
# 1. the machine; 2. every op and the backend against the CPU (infilld_cuda_gpu_tests);
# 3. a random checkpoint of Dream-Coder-7B's exact shape, end to end: forwards at 32, 256
#    and 2,048 positions, and a 32-token infill at 2,048 context tokens per cache mode.
# Everything is written under $OUT (log.txt, tests.txt, bench.jsonl).
set -uo pipefail
OUT="${OUT:-/tmp/infilld-gpu-out}"
mkdir -p "$OUT" /tmp/infilld && tar -C /tmp/infilld -xJf .gpu/bundle.tar.xz
export LD_LIBRARY_PATH="/tmp/infilld/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
B=/tmp/infilld
exec > >(tee "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name())'
echo "== ops and backend against the CPU"
timeout 240 "$B/infilld_cuda_gpu_tests" 2>&1 | tee "$OUT/tests.txt" | tail -25
echo "== Dream-Coder-7B-shaped random checkpoint"
M=/tmp/dream7b-random
timeout 200 python3 tools/tiny_checkpoint.py --like "$B/dream7b" --dtype bf16 --out "$M" ||
  echo "checkpoint writer failed"
if [ -f "$M/config.json" ]; then
  timeout 120 "$B/infilld" bench forward --model "$M" --device cuda --positions 32,256,2048 --repeat 10 |
    tee "$OUT/bench.jsonl"
  for cache in none dual; do
    python3 - "$B/infilld" "$M" "$cache" <<'PY' | tee -a "$OUT/bench.jsonl"
import json, subprocess, sys
infilld, model, cache = sys.argv[1:]
ids = ",".join(str(13 + (i * 7919) % 150000) for i in range(2048))
for rep in range(3):
    out = subprocess.run([infilld, "complete", "--model", model, "--device", "cuda", "--prefix-ids", ids,
                          "--suffix-ids", "13,14", "--max-tokens", "32", "--block-length", "32", "--steps", "8",
                          "--cache", cache, "--json"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        print(json.dumps({"cache": cache, "error": out.stderr.strip()})); break
    st = json.loads(out.stdout)["stats"]
    print(json.dumps({"infill": "32 tokens, 2048 context, 8 steps", "cache": cache, "total_ms": st["total_ms"],
                      "forwards": st["forwards"], "tokens_per_s": 32000.0 / st["total_ms"]}))
PY
  done
fi
