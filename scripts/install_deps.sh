#!/usr/bin/env bash
# Installs everything infilld needs on Debian 12: the build toolchain and libraries from
# Debian's packages, and the tree-sitter sources from npm (pinned by third_party/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  nlohmann-json3-dev libuv1-dev doctest-dev libpcre2-dev libutf8proc-dev libcpp-httplib-dev libcurl4-openssl-dev
  libdnnl-dev libopenblas-dev libopenblas0-pthread
  python3 python3-numpy python3-regex
  clang libclang-rt-14-dev
)
# Node.js and npm for the tree-sitter sources: Debian's, unless the machine already has
# them (our base image ships newer ones that conflict with Debian's packages).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
# Tests and benchmarks: the PyTorch comparison and (later) the real LSP client.
if [ "${INFILLD_MINIMAL:-0}" != "1" ]; then
  packages+=(python3-torch neovim)
  # The VS Code extension in real VS Code: Chromium, and the headers code-server's native
  # modules build against (editors/vscode/e2e/run.sh).
  packages+=(chromium libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev)
  # docs/serve.md's TLS reverse proxy in front of infilld serve (tests/serve/test_nginx.py).
  packages+=(nginx-light openssl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  # Packages with a service (nginx) are installed, not started: the tests run their own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Only the C sources of tree-sitter are used: --ignore-scripts skips the Node addon builds.
if [ ! -f third_party/node_modules/.package-lock.json ] ||
   ! cmp -s third_party/package-lock.json third_party/node_modules/.package-lock.json 2>/dev/null; then
  (cd third_party && npm ci --ignore-scripts --no-audit --no-fund)
fi
