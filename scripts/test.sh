#!/usr/bin/env bash
# The README's second command: build and run the whole test suite.
#   1. Release build: unit tests, parity with the NumPy reference, CLI error contract (ctest);
#      then the kernels, caches and parity again with the CPU capped at AVX2 (INFILLD_CPU_ISA).
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build: the same tests.
#   3. The VS Code extension: npm ci, compile, unit and end-to-end tests, .vsix package; then
#      the .vsix in real VS Code (code-server) driven through headless Chromium.
#   4. libFuzzer targets (clang): each fuzzed for a short, bounded time (scripts/fuzz.sh).
# Skips: after each ctest run the skipped tests are counted and named. In CI (CI=true) the
# ctest runs get INFILLD_REQUIRE_ALL=1 (a harness's skipped case, a doctest case's skip, a
# test that cannot run at all: each is a failure), and a test that ctest still reports as
# skipped fails the run, except those labelled gpu (CI has no GPU: they exit 77).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

# run_ctest BUILD_DIR [CTEST ARGS...]: ctest over the build folder, then the skip count.
run_ctest() {
  local dir=$1 log status=0
  shift
  log=$(mktemp)
  if [ "${CI:-}" = true ]; then
    INFILLD_REQUIRE_ALL=1 ctest --test-dir "$dir" --output-on-failure -j 2 "$@" 2>&1 | tee "$log" || status=$?
  else
    ctest --test-dir "$dir" --output-on-failure -j 2 "$@" 2>&1 | tee "$log" || status=$?
  fi
  # ctest's closing list: "The following tests did not run:" then "  12 - NAME (Skipped)".
  local skipped gpu unexpected
  skipped=$(sed -n '/^The following tests did not run:/,$p' "$log" |
            sed -nE 's/^[[:space:]]*[0-9]+ - (.*) \(Skipped\)$/\1/p')
  gpu=$(ctest --test-dir "$dir" -N -L '^gpu$' | sed -nE 's/^[[:space:]]*Test +#[0-9]+: (.*)$/\1/p')
  unexpected=$(comm -23 <(printf '%s\n' "$skipped" | sed '/^$/d' | sort) <(printf '%s\n' "$gpu" | sed '/^$/d' | sort))
  rm -f "$log"
  echo "-- $dir: $(printf '%s\n' "$skipped" | sed '/^$/d' | wc -l) tests skipped" \
       "($(printf '%s\n' "$unexpected" | sed '/^$/d' | wc -l) not labelled gpu)"
  if [ -n "$unexpected" ] && [ "${CI:-}" = true ]; then
    echo "CI: these tests skipped but must run here:"
    sed 's/^/   /' <<<"$unexpected"
    return 1
  fi
  return "$status"
}

echo "== release build and tests"
scripts/build.sh
run_ctest build

# The CPU paths of the machines without AVX-512 (most users' laptops), forced on this one:
# the kernels and the forward, the caches and the decode loops against the NumPy references.
echo "== release tests with INFILLD_CPU_ISA=avx2"
INFILLD_CPU_ISA=avx2 run_ctest build \
  -R '^(matmul|cpu weights|cpu scoring|kv cache|batched forward|context cache|fim denoiser|approximate caches|parity|denoise parity|default model)'

echo "== VS Code extension: build, tests (with the server end to end), .vsix"
tiny_model=build/models/tiny-dream-vscode
/usr/bin/python3 tools/tiny_checkpoint.py --arch dream --dtype bf16 --seed 1 --printable --out "$tiny_model" >/dev/null
INFILLD_BIN="$PWD/build/infilld" INFILLD_TEST_MODEL="$PWD/$tiny_model" editors/vscode/build.sh

echo "== VS Code extension in real VS Code (code-server, headless Chromium)"
editors/vscode/e2e/run.sh build "editors/vscode/infilld-$(node -p "require('./editors/vscode/package.json').version").vsix" "$tiny_model"

echo "== sanitizer build (ASan + UBSan) and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DINFILLD_SANITIZE=ON -DINFILLD_CUDA=OFF
cmake --build build-asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan

echo "== fuzz targets (${FUZZ_SECONDS}s each, from tests/fuzz/corpus)"
FUZZ_SECONDS="$FUZZ_SECONDS" scripts/fuzz.sh
