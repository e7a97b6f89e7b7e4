#!/usr/bin/env python3
"""End to end: the shipped default model (models/default, the project's own "infilld FIM"
model) completes real code through Neovim.

Copies examples/primes.py into the case's folder and starts `nvim --headless` with
tests/e2e/nvim_plugin.lua and the Neovim plugin (editors/nvim), whose setup{} runs
`infilld lsp --model models/default`. The cursor is on the empty line inside is_prime's
loop (examples/primes.py:10:9, where scripts/setup.sh completes); Insert mode starts
there, the plugin asks for a suggestion and draws it as ghost text (extmarks), the
suggestion must be non-empty, <Tab> accepts it, and the buffer must then be the file with
the suggestion inserted at the cursor. A second case accepts a word, then lines, then the
rest. test_nvim_plugin.py's checks apply: the ghost text, the statuses (loading, then
ready), infilld/stats (accepted once, no error), and the suggestion equals
`infilld complete --model models/default FILE:LINE:COL` on the text the editor held.

    test_nvim_default_model.py --infilld PATH [--nvim PATH] [--workdir DIR] [--only SUBSTRING]
                               [--timeout SECONDS] [--verbose]

Prints `ok`/`FAIL` lines and the last line `N passed, M failed, K skipped`; exit 1 on
failure. Without Neovim 0.7+, or without the model's weights (e.g. a Git LFS pointer), it
prints `skipped: ...` and exits 0 (a failure with INFILLD_REQUIRE_ALL=1).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvim_harness  # noqa: E402
import test_nvim_plugin  # noqa: E402
from nvim_harness import CURSOR, REPO  # noqa: E402

MODEL = os.path.join(REPO, "models", "default")
EXAMPLE = os.path.join(REPO, "examples", "primes.py")
LINE = 10  # 1-based: the empty line inside is_prime's loop


def example_text():
    """examples/primes.py with the cursor at the end of line LINE (its indentation only)."""
    with open(EXAMPLE, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[LINE - 1].strip() != "":
        raise SystemExit("%s:%d is no longer the empty line inside the loop: %r"
                         % (EXAMPLE, LINE, lines[LINE - 1]))
    lines[LINE - 1] += CURSOR
    return "\n".join(lines)


# An empty string types nothing: the suggestion Insert mode asks for at the cursor. The
# other strings are typed only if that one is empty.
TYPED = ["", "if", " n", " %", " d"]
SETUP = {"settings": {"maxTokens": 32}}

CASES = [
    test_nvim_plugin.case("primes.py, <Tab> accepts the default model's suggestion (UTF-8)", "primes.py",
                          example_text(), TYPED, "accept", "utf-8", SETUP),
    test_nvim_plugin.case("primes.py, accept word, lines, then the rest (UTF-16)", "primes.py",
                          example_text(), TYPED, "word", "utf-16",
                          dict(SETUP, position_encodings=["utf-16"])),
]


def missing_weights(model_dir):
    """Why the model folder cannot be used, or None."""
    weights = os.path.join(model_dir, "model.safetensors")
    if not os.path.isfile(os.path.join(model_dir, "config.json")) or not os.path.isfile(weights):
        return "%s has no config.json or no model.safetensors" % model_dir
    with open(weights, "rb") as f:
        if f.read(64).startswith(b"version https://git-lfs"):
            return "%s is a Git LFS pointer, not the weights" % weights
    return None


def run_case(c, nvim, binary, model_dir, base, timeout, verbose):
    why = missing_weights(model_dir)
    if why:
        return nvim_harness.Skip(why)
    return test_nvim_plugin.run_case(c, nvim, binary, model_dir, base, timeout, verbose)


def main(argv=None, model_dir=MODEL):
    why = missing_weights(model_dir)
    if why:
        return nvim_harness.skip_all(why)
    return nvim_harness.main(__doc__, CASES, run_case, "infilld-nvim-default-", "print stats", argv,
                             model_dir=model_dir)


if __name__ == "__main__":
    sys.exit(main())
