#!/usr/bin/env bash
# The README's first command: install, build, and run the main job.
# Until the embedded model exists, the main job is `infilld info` on a generated tiny
# Dream-architecture checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
/usr/bin/python3 tools/tiny_checkpoint.py --arch dream --dtype bf16 --out build/models/tiny-dream >/dev/null
build/infilld info --model build/models/tiny-dream
