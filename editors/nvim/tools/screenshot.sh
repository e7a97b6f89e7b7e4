#!/bin/sh
# Captures the ghost text in a real terminal: Neovim in a detached tmux session with the
# plugin and a model, keys sent with `tmux send-keys`, the pane captured with colours
# (`tmux capture-pane -e -p`) once the suggestion shows, then drawn as SVG.
#
#   editors/nvim/tools/screenshot.sh MODEL_DIR [OUT_BASENAME]
#
# Writes OUT_BASENAME.ansi and OUT_BASENAME.svg (default: docs/nvim-ghost-text). Needs
# tmux, nvim, python3 and build/infilld. The file and keys are those of docs/: a Python
# file, Insert mode on the empty line 2 (the plugin asks as Insert mode starts).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
model=${1:?usage: screenshot.sh MODEL_DIR [OUT_BASENAME]}
out=${2:-$repo/docs/nvim-ghost-text}
work=$(mktemp -d)
sock="infilld-shot-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/demo.py" <<'PY'
import math


def area(radius):
    return math.pi * radius ** 2


def main():
    r = 3
    
    print(total)


if __name__ == "__main__":
    main()
PY
cat > "$work/init.lua" <<LUA
vim.opt.runtimepath:prepend("$repo/editors/nvim")
vim.cmd("runtime plugin/infilld.lua")
require("infilld").setup({ model = "$model", settings = { maxTokens = 64 } })
vim.o.number = true
vim.o.laststatus = 2
vim.o.statusline = " %f %= %{luaeval('require(\"infilld\").statusline()')} "
LUA

cd "$work"
tmux -L "$sock" new-session -d -s shot -x 80 -y 20 "nvim --clean -n -i NONE -u $work/init.lua demo.py"
sleep 1
tmux -L "$sock" send-keys -t shot "2G" "A"
i=0
# the ghost text shows on the (empty) line 2
until tmux -L "$sock" capture-pane -t shot -p | sed -n 2p | grep -q '^ *2  *[^ ]' ; do
  i=$((i + 1))
  if [ "$i" -gt 120 ]; then echo "screenshot.sh: no ghost text within 60 s" >&2; exit 1; fi
  sleep 0.5
done
# and the server's speculative work done (the statusline says ready), 10 s at most
i=0
until tmux -L "$sock" capture-pane -t shot -p | grep -q 'infilld: ready' || [ "$i" -gt 20 ]; do
  i=$((i + 1))
  sleep 0.5
done
tmux -L "$sock" capture-pane -t shot -e -p > "$out.ansi"
python3 "$repo/tools/ansi_to_svg.py" "$out.ansi" "$out.svg" --cols 80 \
  --title "Neovim $(nvim --version | sed -n 's/^NVIM v//p') + infilld: ghost text (tiny random model)"
echo "wrote $out.ansi and $out.svg"
