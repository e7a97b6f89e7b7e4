#!/usr/bin/env bash
# The GPU machine's whole check in one call (bench/gpu/README.md), after bench/gpu/pack.sh:
#   run(command="bash bench/gpu/run_on_h200.sh", carry=[".gpu"], timeout_s=600)
# 1. the machine; 2. every op and the backend against the CPU (infilld_cuda_gpu_tests);
# 3. a random checkpoint of Dream-Coder-7B's exact shape (written on the GPU), then
#    bench/gpu/gpu_bench.py: forwards at 32, 256 and 2,048 positions against the HBM bound,
#    cuBLAS's matmuls alone and PyTorch eager; a 32-token infill after 2,048 context tokens
#    per cache mode and step count, against the same algorithm in PyTorch eager.
# Everything lands under $OUT: log.txt, tests.txt, sanitizer_*.txt, gpu_bench.json.
set -uo pipefail
OUT="${OUT:-/tmp/infilld-gpu-out}"
mkdir -p "$OUT" /tmp/infilld && tar -C /tmp/infilld -xJf .gpu/bundle.tar.xz || exit 1
export LD_LIBRARY_PATH="/tmp/infilld/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
B=/tmp/infilld
exec > >(tee "$OUT/log.txt") 2>&1
date -u
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
lscpu | grep -m1 "Model name"
echo "== ops and backend against the CPU"
ldd "$B/infilld" | grep "not found"
timeout 120 "$B/infilld_cuda_gpu_tests" > "$OUT/tests.txt" 2>&1
echo "tests exit code $?"; tail -15 "$OUT/tests.txt"
echo "== the small shapes under compute-sanitizer: memcheck, racecheck"
for tool in memcheck racecheck; do
  INFILLD_CUDA_TEST_SMALL=1 timeout 45 compute-sanitizer --tool "$tool" --print-limit 20 \
    "$B/infilld_cuda_gpu_tests" -tc="cuda ops*" > "$OUT/sanitizer_$tool.txt" 2>&1
  echo "$tool exit code $?"; tail -4 "$OUT/sanitizer_$tool.txt"
done
echo "== Dream-Coder-7B-shaped random checkpoint"
M=/tmp/dream7b-random
timeout 120 python3 bench/gpu/random_checkpoint.py --like "$B/dream7b" --out "$M" --device cuda
"$B/infilld" info --model "$M"
echo "== benchmarks"
timeout 260 python3 bench/gpu/gpu_bench.py --infilld "$B/infilld" --model "$M" --out "$OUT/gpu_bench.json" \
  --rounds 2 --repeat 3
echo "bench exit code $?"
