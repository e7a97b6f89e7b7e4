#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension into editors/vscode/infilld-<version>.vsix.
# Needs node >= 20 and npm, and the npm registry for `npm ci`.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --ignore-scripts --no-audit --no-fund
npm run compile
npm test
version=$(node -p "require('./package.json').version")
# No public repository yet: vsce is told so instead of being given an invented URL, and
# keeps the README's relative picture (media/, packaged) as it is.
npx --no-install vsce package --allow-missing-repository --no-rewrite-relative-links --out "infilld-${version}.vsix"
echo "built $(pwd)/infilld-${version}.vsix"
