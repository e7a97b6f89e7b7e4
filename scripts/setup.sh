#!/usr/bin/env bash
# The README's first command: install, build, and run the main job: complete a real source
# file (examples/primes.py, on the empty line in is_prime's loop) with the default model
# shipped in models/default, found without --model (src/cli/model_dir.h), and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
echo "== infilld complete --show examples/primes.py:10:9 (the default model, models/default)"
build/infilld complete --show examples/primes.py:10:9
