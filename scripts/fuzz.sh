#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz): build them with clang (ASan + UBSan, our code
# instrumented for coverage) and fuzz each, starting from the corpus kept in the repository.
#
#   scripts/fuzz.sh                 each target for FUZZ_SECONDS (default 20) seconds: CI's run
#   scripts/fuzz.sh --long          each target to at least FUZZ_RUNS (default 1,000,000)
#                                   executions; prints each one's figures
#   scripts/fuzz.sh --long --merge  the same, then the inputs that reach new coverage are
#                                   minimised into tests/fuzz/corpus (at most 4 KB each;
#                                   16 KB for the tokenizer)
#   scripts/fuzz.sh ... TARGET...   only these targets (fuzz_document_edits, ...)
#
# The corpus in tests/fuzz/corpus/<target>/ is small, hand-written or minimised files
# (nothing from ../shared); the run fuzzes a copy of it in build-fuzz/corpus/<target>, and
# crashing inputs are left in build-fuzz/crashes. Exit status 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=short MERGE=0 TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --long) MODE=long ;;
    --merge) MERGE=1 ;;
    fuzz_*) TARGETS+=("$arg") ;;
    *) echo "fuzz.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
FUZZ_RUNS="${FUZZ_RUNS:-1000000}"

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFILLD_FUZZ=ON \
  -DINFILLD_TESTS=OFF -DINFILLD_CUDA=OFF -DINFILLD_TREE_SITTER=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)"

if [ ${#TARGETS[@]} -eq 0 ]; then
  for t in build-fuzz/tests/fuzz/fuzz_*; do [ -x "$t" ] && TARGETS+=("$(basename "$t")"); done
fi
mkdir -p build-fuzz/crashes
failed=()
for name in "${TARGETS[@]}"; do
  target="build-fuzz/tests/fuzz/$name"
  [ -x "$target" ] || { echo "fuzz.sh: no target $name" >&2; exit 2; }
  corpus="build-fuzz/corpus/$name"
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  if [ "$MODE" = long ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$FUZZ_SECONDS"); fi
  echo "-- $name"
  log="build-fuzz/$name.log"
  start=$(date +%s)
  status=0
  max_len=4096
  [ "$name" = fuzz_tokenizer ] && max_len=16384  # a tokenizer.json seed is ~8 KB
  "$target" "$corpus" "${limit[@]}" -max_len=$max_len -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$name-" >"$log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|ERROR|SUMMARY" "$log" || true
  echo "   $(( $(date +%s) - start )) s, exit status $status, corpus $(ls "$corpus" | wc -l) files"
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    tail -40 "$log"
    continue
  fi
  if [ "$MERGE" = 1 ]; then
    mkdir -p "tests/fuzz/corpus/$name"
    "$target" -merge=1 -max_len=$max_len "tests/fuzz/corpus/$name" "$corpus" >/dev/null 2>&1
    echo "   kept in tests/fuzz/corpus/$name: $(ls "tests/fuzz/corpus/$name" | wc -l) files," \
         "$(du -sk "tests/fuzz/corpus/$name" | cut -f1) KB"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing: crashes in ${failed[*]} (inputs in build-fuzz/crashes)"
  exit 1
fi
if [ "$MODE" = long ]; then
  echo "fuzzing: every target ran ${FUZZ_RUNS} executions without a crash"
else
  echo "fuzzing: every target ran ${FUZZ_SECONDS}s without a crash"
fi
