#!/usr/bin/env python3
"""`infilld complete` at temperature 0 must give the tokens of the NumPy reference loop.

For each family (dream, qwen2_mdm, llada) it writes a seeded tiny f32 checkpoint
(tools/tiny_checkpoint.py), scales its final norm weight so the model is confident
enough for threshold decoding to reveal several tokens in one step, and for each
configuration below and N in (8, 16) runs

    infilld complete --model DIR --prefix-ids 1,2,3 --suffix-ids 4,5 --max-tokens N
        [--steps S] [--alg A] [--schedule X] [--block-length L]
        [--threshold T | --factor F] --temperature 0 --cache none --raw --json

passing only the options the configuration sets (so the family defaults are exercised
too), and compares the `tokens` array of its JSON stdout with the `tokens` of
tools/reference_denoise.py. Step counts are printed, not compared: infilld may stop as
soon as the output is final. Prefix and suffix are 5-12 ids from the tokenizer's regular
range (below every special id).

A failing case also prints the reference's closest call (the smallest gap between two
scores, a score and the threshold/factor bound, or p1 - p2 of a revealed token); under
1e-6 it is reported as a near-tie, which float32 vs float64 can legitimately flip. The
committed seeds have no near-ties (the `gap=` of every ok line is far above 1e-6).

    test_denoise_parity.py --infilld PATH [--workdir DIR] [--only SUBSTRING]

Then, per family, one 16-token infill with each cache mode (none, prefix, dual): the
approximate caches must compute fewer positions (none > prefix > dual) at the same number
of forwards; their tokens are printed side by side with the exact ones (they may differ:
the caches are approximate by design).

One line per case (`ok <case> tokens=[...] steps ours/ref ...` / `FAIL <case> ...`), a
fixture check that threshold decoding revealed several tokens in one step somewhere,
then the last line `N passed, M failed, 0 skipped`; exit status 1 if any failed.
"""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import reference_denoise  # noqa: E402
import reference_forward  # noqa: E402
import tiny_checkpoint  # noqa: E402

NEAR_TIE = 1e-6
SPANS = (8, 16)
# Per family: checkpoint seed, the factor on the final norm weight (= on the logits), and
# the factor on the eos row of the LM head in the "eos" variant. Unscaled tiny models give
# top probabilities of ~0.1-0.6; these factors put many confidences above the 0.3
# threshold without saturating them at 1.0 (where the scores of different positions would
# crowd together). The eos variant makes eos the argmax at some span positions, so the
# output is cut there.
FAMILIES = {"dream": (11, 1.0, 2.0), "qwen2_mdm": (12, 1.5, 2.0), "llada": (13, 2.0, 2.1)}
# (name, options, model variant); "N/2" is replaced by N // 2. Options left out take
# infilld's defaults.
CONFIGS = [
    ("default", {}, None),
    ("confidence-timestep-halfsteps", {"alg": "confidence", "schedule": "timestep",
                                       "steps": "N/2"}, None),
    ("margin-even-block4", {"alg": "margin", "schedule": "even", "block_length": 4}, None),
    ("entropy-timestep-block8-steps4", {"alg": "entropy", "schedule": "timestep",
                                        "block_length": 8, "steps": 4}, None),
    ("threshold0.3-block8", {"threshold": 0.3, "block_length": 8}, None),
    ("factor1.0-block8", {"factor": 1.0, "block_length": 8}, None),
    # dream / qwen2_mdm score by entropy (<= 0) by default, so their threshold cases above
    # reveal one token per step; this one has them reveal several.
    ("confidence-threshold0.3-block8", {"alg": "confidence", "threshold": 0.3,
                                        "block_length": 8}, None),
    ("default-eos", {}, "eos"),
]
FLAGS = {"steps": "--steps", "alg": "--alg", "schedule": "--schedule",
         "block_length": "--block-length", "threshold": "--threshold", "factor": "--factor"}
HEAD_ROWS = {"dream": "lm_head.weight", "qwen2_mdm": "model.embed_tokens.weight",
             "llada": "model.transformer.ff_out.weight"}


class CaseFailure(Exception):
    pass


# ---------------------------------------------------------------------------------------
# fixture

def make_model(workdir, arch, variant=None):
    """Tiny f32 checkpoint of `arch` with its logits scaled (and, for variant "eos", the
    eos row of its LM head scaled up); returns (info, weights)."""
    seed, scale, eos_boost = FAMILIES[arch]
    model_dir = os.path.join(workdir, arch + ("-" + variant if variant else ""))
    info = tiny_checkpoint.write_checkpoint(model_dir, arch, "f32", shards=1, seed=seed)
    path = os.path.join(model_dir, "model.safetensors")
    tensors = reference_forward.read_safetensors(path)
    for name in tensors:
        if name.endswith(("model.norm.weight", "transformer.ln_f.weight")):
            tensors[name] = tensors[name] * scale
    if variant == "eos":  # (qwen2_mdm's head is tied: its eos embedding grows too)
        tensors[HEAD_ROWS[arch]][info["eos_token_id"]] *= eos_boost
    tiny_checkpoint.write_safetensors(path, {n: (a.astype(np.float32), "F32")
                                             for n, a in tensors.items()})
    return info, reference_forward.load_weights(model_dir)


def regular_ids(info):
    """Ids of the tokenizer below every special id (byte tokens and merges)."""
    special = [info[k] for k in ("mask_token_id", "bos_token_id", "eos_token_id",
                                 "pad_token_id") if info[k] is not None]
    return min(special + [info["tokenizer_size"]])


def pick_context(info, seed):
    """(prefix, suffix): 5-12 regular ids each, from a seeded generator."""
    rng = np.random.default_rng(seed)
    top = regular_ids(info)
    prefix = [int(t) for t in rng.integers(0, top, int(rng.integers(5, 13)))]
    suffix = [int(t) for t in rng.integers(0, top, int(rng.integers(5, 13)))]
    return prefix, suffix


def resolve(options, n):
    return {k: (n // 2 if v == "N/2" else v) for k, v in options.items()}


# ---------------------------------------------------------------------------------------
# one case

def run_infilld(binary, model_dir, prefix, suffix, n, options, timeout, cache="none"):
    cmd = [binary, "complete", "--model", model_dir,
           "--prefix-ids", ",".join(map(str, prefix)),
           "--suffix-ids", ",".join(map(str, suffix)), "--max-tokens", str(n)]
    for key, value in options.items():
        cmd += [FLAGS[key], str(value)]
    cmd += ["--temperature", "0", "--cache", cache, "--raw", "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise CaseFailure("cannot run %s" % binary)
    except subprocess.TimeoutExpired:
        raise CaseFailure("timed out after %ds" % timeout)
    if proc.returncode != 0:
        err = " | ".join(proc.stderr.strip().splitlines()[-2:])
        raise CaseFailure("complete: exit %d%s" % (proc.returncode,
                                                   (": " + err[:300]) if err else ""))
    for line in reversed(proc.stdout.strip().splitlines() or [""]):
        try:
            out = json.loads(line)
        except ValueError:
            continue
        if isinstance(out, dict) and isinstance(out.get("tokens"), list):
            return out
    try:  # a pretty-printed (multi-line) object
        out = json.loads(proc.stdout)
        if isinstance(out, dict) and isinstance(out.get("tokens"), list):
            return out
    except ValueError:
        pass
    raise CaseFailure("complete: no JSON object with \"tokens\" on stdout: %r"
                      % proc.stdout[-200:])


def closest_call(trace):
    """(gap, block, step) of the reference's most marginal decision."""
    worst = min(trace, key=lambda st: st["gap"]) if trace else None
    return (worst["gap"], worst["block"], worst["j"]) if worst else (math.inf, -1, -1)


def run_case(binary, model_dir, mask_id, prefix, suffix, n, options, ref, trace, timeout):
    """Returns infilld's JSON; raises CaseFailure when its tokens differ from ref's."""
    ours = run_infilld(binary, model_dir, prefix, suffix, n, options, timeout)
    if ours["tokens"] != ref["tokens"]:
        gap, block, step = closest_call(trace)
        tie = ("near-tie: the reference's closest call is %.3g at block %d step %d, which"
               " float32 can flip" % (gap, block, step) if gap < NEAR_TIE else
               "no near-tie (closest call %.3g at block %d step %d)" % (gap, block, step))
        mask = [pos for st in trace for pos, x0 in st["revealed"] if x0 == mask_id]
        if mask:
            tie += ("; the reference revealed the mask id %d at canvas positions %s (they"
                    " stay revealed)" % (mask_id, mask))
        raise CaseFailure("tokens differ: ours=%s ref=%s steps %s/%d; %s"
                          % (ours["tokens"], ref["tokens"], ours.get("stats", {}).get("forwards", "?"),
                             ref["steps"], tie))
    return ours


# ---------------------------------------------------------------------------------------

def main(argv=None):
    a, binary = harness.parse_args(__doc__, "keep checkpoints here", 60, argv)

    workdir, cleanup = harness.work_dir(a.workdir, "infilld-denoise-")
    passed = failed = 0
    multi_reveal, cut = [], []  # fixture checks: threshold k > 1; eos cut the span
    try:
        for arch in FAMILIES:
            cases = [("%s-%s-N%d" % (arch, name, n), n, options, variant)
                     for name, options, variant in CONFIGS for n in SPANS]
            models = {}
            for index, (case, n, options, variant) in enumerate(cases):
                if a.only and a.only not in case:
                    continue
                options = resolve(options, n)
                start = time.monotonic()
                try:
                    if variant not in models:
                        models[variant] = make_model(workdir, arch, variant)
                    info, weights = models[variant]
                    prefix, suffix = pick_context(info, 100 * FAMILIES[arch][0] + index)
                    trace = []
                    ref = reference_denoise.denoise(info["dir"], prefix, suffix, n,
                                                    weights=weights, trace=trace, **options)
                    most = max(st["k"] for st in trace) if trace else 0
                    if "threshold" in options and most > 1:
                        multi_reveal.append("%s (k up to %d)" % (case, most))
                    if len(ref["tokens"]) < n:
                        cut.append("%s (%d of %d)" % (case, len(ref["tokens"]), n))
                    ours = run_case(binary, info["dir"], info["mask_token_id"], prefix,
                                    suffix, n, options, ref, trace, a.timeout)
                    print("ok %s tokens=%s steps %s/%d gap=%.2g max_k=%d (%.2fs)"
                          % (case, ref["tokens"], ours.get("stats", {}).get("forwards", "?"), ref["steps"],
                             closest_call(trace)[0], most, time.monotonic() - start),
                          flush=True)
                    passed += 1
                except CaseFailure as e:
                    print("FAIL %s %s" % (case, e), flush=True)
                    failed += 1
                except (SystemExit, Exception) as e:  # noqa: BLE001 - fixture/reference bugs
                    print("FAIL %s harness error: %s: %s" % (case, type(e).__name__, e),
                          flush=True)
                    failed += 1
            # The approximate caches: same forwards, fewer positions, outputs side by side.
            case = "%s-cache-modes-N16" % arch
            if not a.only or a.only in case:
                try:
                    info, _ = models.get(None) or make_model(workdir, arch, None)
                    prefix, suffix = pick_context(info, 100 * FAMILIES[arch][0] + 99)
                    opts = {"block_length": 8, "steps": 8, "schedule": "even"}
                    runs = {mode: run_infilld(binary, info["dir"], prefix, suffix, 16, opts, a.timeout, mode)
                            for mode in ("none", "prefix", "dual")}
                    pos = {m: r["stats"]["positions"] for m, r in runs.items()}
                    fwd = {m: r["stats"]["forwards"] for m, r in runs.items()}
                    same = {m: sum(x == y for x, y in zip(r["tokens"], runs["none"]["tokens"]))
                            for m, r in runs.items()}
                    side = "; ".join("%s forwards=%d positions=%d tokens=%s (%d/16 as none)"
                                     % (m, fwd[m], pos[m], runs[m]["tokens"], same[m]) for m in runs)
                    if pos["dual"] < pos["prefix"] < pos["none"] and fwd["prefix"] == fwd["none"] == fwd["dual"]:
                        print("ok %s %s" % (case, side), flush=True)
                        passed += 1
                    else:
                        print("FAIL %s positions should drop none > prefix > dual at equal forwards: %s"
                              % (case, side), flush=True)
                        failed += 1
                except CaseFailure as e:
                    print("FAIL %s %s" % (case, e), flush=True)
                    failed += 1
        for label, hits, what, needle in (
                ("fixture-confident", multi_reveal, "threshold decoding revealed several"
                 " tokens in one step", "threshold"),
                ("fixture-eos", cut, "an eos or pad inside the span cut the output",
                 "eos")):
            if a.only and needle not in a.only:
                continue
            if hits:
                print("ok %s: %s in %s" % (label, what, ", ".join(hits)), flush=True)
                passed += 1
            else:
                print("FAIL %s: in no case %s (the fixture no longer exercises it)"
                      % (label, what), flush=True)
                failed += 1
    finally:
        cleanup()
    return harness.summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
