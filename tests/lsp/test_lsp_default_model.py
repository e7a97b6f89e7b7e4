#!/usr/bin/env python3
"""The shipped default model (models/default: the infilld FIM block-diffusion format with
its exact context cache) through the language server, end to end: a completion on a real
Python file, type-through from the server's cache, and the context cache's reuse when
the user types at the cursor (infilld/stats `positions` and `last`). See
transcript_harness.py; every case is skipped (a failure with INFILLD_REQUIRE_ALL=1) when
the model's weights are not in the checkout.

    test_lsp_default_model.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
                              [--timeout SECONDS_PER_CASE] [--verbose]
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import REPO, collect, main  # noqa: E402

MODEL = os.path.join(REPO, "models", "default")
PRIMES = os.path.join(REPO, "examples", "primes.py")
# No speculation: `last` in infilld/stats is then the run of the request just answered,
# and the context cache holds what that request ran.
OPTIONS = {"debounceMs": 0, "speculative": False}


def default_model(args, work):
    weights = os.path.join(MODEL, "model.safetensors")
    if not os.path.isfile(weights):
        return "skip: %s is missing" % weights
    if os.path.getsize(weights) < 1 << 20:
        return "skip: %s is not the weights (a Git LFS pointer?)" % weights
    return MODEL


def block_length():
    with open(os.path.join(MODEL, "config.json")) as f:
        return json.load(f)["block_length"]


def primes():
    """examples/primes.py and the position of its cursor: the end of the empty, indented
    line inside is_prime's loop."""
    with open(PRIMES, encoding="utf-8") as f:
        text = f.read()
    line = "    for d in range(2, int(n ** 0.5) + 1):\n        "
    check(line in text, "test bug: %s changed" % PRIMES)
    return text, pos_of(text, line)


def start(k, options=None):
    c = k.start()
    initialize(c, options=dict(OPTIONS, **(options or {})))
    text, pos = primes()
    uri = k.uri("primes.py")
    open_doc(c, uri, text, language="python")
    return c, uri, text, pos


def case_primes(k):
    c, uri, text, pos = start(k)
    c.notify("$/setTrace", {"value": "messages"})
    s0 = stats(c)
    mark = c.mark()
    items = complete(c, uri, pos, "inlineCompletion in examples/primes.py", timeout=120)
    s1 = stats(c)
    trace = [r.msg["params"].get("message", "") for r in c.notifications("$/logTrace", since=mark)]
    check(len(trace) == 1, "%d $/logTrace lines for one request: %r" % (len(trace), trace))
    found = re.search(r": (\d+) forwards, (\d+) positions, \d+ ms, finish \w+$", trace[0])
    check(found and [int(found.group(1)), int(found.group(2))] ==
          [s1["last"]["forwards"], s1["last"]["positions"]],
          "$/logTrace %r does not give the run's forwards and positions %s"
          % (trace[0], json.dumps(s1["last"])))
    k.note("suggestion %r; %s" % (items[0]["insertText"], json.dumps(s1["last"])))
    check(delta(s1, s0, "completed") == 1 and delta(s1, s0, "forwards") > 0,
          "stats after the completion: %s" % json.dumps(s1))
    last = s1["last"]
    check(last["forwards"] == delta(s1, s0, "forwards") and last["canvas"] > 0 and
          0 < last["tokens"] <= last["canvas"] and last["positions"] == delta(s1, s0, "positions"),
          "stats `last` %s does not describe the one engine run (forwards +%d, positions +%d)"
          % (json.dumps(last), delta(s1, s0, "forwards"), delta(s1, s0, "positions")))
    finish(c)


def case_type_through(k):
    c, uri, text, pos = start(k)
    items = complete(c, uri, pos, "the first request", timeout=120)
    s = items[0]["insertText"]
    check(len(s) >= 2 and not s.startswith(("\n", "\r")),
          "the suggestion %r is too short to type through" % s)
    s0 = stats(c)
    change(c, uri, 2, [edit(pos, pos, s[0])])
    pos2 = {"line": pos["line"], "character": pos["character"] + units(s[0], "utf-16")}
    items2 = complete(c, uri, pos2, "after typing the suggestion's first character")
    s1 = stats(c)
    check(items2[0]["insertText"] == s[1:], "typed %r of %r: got %r, expected the rest %r"
          % (s[0], s, items2[0]["insertText"], s[1:]))
    check(delta(s1, s0, "typedThroughHits") == 1,
          "typedThroughHits +%d, expected +1" % delta(s1, s0, "typedThroughHits"))
    check(delta(s1, s0, "forwards") == 0 and delta(s1, s0, "positions") == 0,
          "a typed-through hit ran %d forwards" % delta(s1, s0, "forwards"))
    finish(c)


def case_context_cache(k):
    """Typing one character at the cursor appends to the context (the suffix comes first):
    the next request recomputes only the changed tail of the context, not all of it."""
    L = block_length()
    # One block of 4 steps: forwards after a request's first compute the block alone.
    c, uri, text, pos = start(k, {"maxTokens": L, "steps": 4})
    s0 = stats(c)
    items = complete(c, uri, pos, "the first request", timeout=120)
    first = stats(c)["last"]
    typed = "y" if items[0]["insertText"].startswith("x") else "x"  # not typed through
    change(c, uri, 2, [edit(pos, pos, typed)])
    pos2 = {"line": pos["line"], "character": pos["character"] + 1}
    complete(c, uri, pos2, "after typing %r" % typed, timeout=120)
    s2 = stats(c)
    second = s2["last"]
    k.note("first request %s; after typing %r: %s" % (json.dumps(first), typed, json.dumps(second)))
    check(delta(s2, s0, "typedThroughHits") == 0 and delta(s2, s0, "cacheHits") == 0,
          "the second request was answered from the completion cache: %s" % json.dumps(s2))
    check(first["canvas"] == L and second["canvas"] == L and first["forwards"] >= 1 and
          second["forwards"] >= 1, "runs %s, %s: expected a canvas of %d" % (first, second, L))
    # Each forward computes the block's L positions; the first forward of a run also the
    # context the cache does not hold.
    context1 = first["positions"] - first["forwards"] * L
    context2 = second["positions"] - second["forwards"] * L
    check(context1 >= 4 * L, "the first request computed %d context positions: primes.py's "
          "context is longer (the runs' positions are not counted?)" % context1)
    check(0 < context2 <= L, "after typing one character the request recomputed %d context "
          "positions (the first request %d): the exact context cache did not keep the "
          "unchanged context" % (context2, context1))
    check(2 * second["positions"] < first["positions"],
          "after typing one character the request computed %d positions, the first %d"
          % (second["positions"], first["positions"]))
    finish(c)


if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals()), model=default_model))
