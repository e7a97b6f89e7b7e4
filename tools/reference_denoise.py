#!/usr/bin/env python3
"""Independent NumPy reference of infilld's denoising loop at temperature 0.

Fills N masked positions between a prefix and a suffix by iterative unmasking, one full
forward pass (tools/reference_forward.py, float64) per step. Written from the contract
of `infilld complete` and the decoding facts in shared/reference/dllm-models.md
("Decoding algorithms"), not by translating the C++ engine (the one rule taken from the
engine is the choosable ids below, documented at its CanvasSpec::n_choosable):

    canvas  = [bos] + prefix + [mask] * N + suffix + [eos]     (bos/eos only when known)
    blocks  = the span cut into ceil(N / L) blocks of L positions, decoded left to right
    a step  = forward the whole canvas; for every still-masked position of the current
              block: p = softmax(row over the choosable ids), x0 = argmax p, score
              (confidence | margin | entropy); reveal the k best (k from the schedule, a
              threshold or a factor)
    output  = the span, cut before the first eos or pad

    reference_denoise.py --model DIR --prefix-ids 1,2,3 --suffix-ids 4,5 --max-tokens N
        [--steps S] [--alg confidence|margin|entropy] [--schedule timestep|even]
        [--block-length L] [--threshold TAU | --factor F] [--eps 1e-3] [--trace]

prints {"tokens": [...], "canvas": [...], "steps": n_forward_passes}; --trace also prints
every step's reveals to stderr.

Rules chosen where the contract is silent (the C++ side matches them):
- Choosable ids: only the tokenizer's ids, [0, n_tokens) with n_tokens = 1 + the largest
  id of tokenizer.json (model.vocab and added_tokens), when that is below the row length
  (checkpoints pad the LM head past the vocabulary; a padded row decodes to nothing) --
  and never the mask id. p, x0 and every score are computed over these ids only (the
  others are dropped before the softmax). So a revealed position never holds the mask id,
  "masked position" and "position holding the mask id" are the same thing, and a block
  always empties.
- x0 ties go to the lowest id.
- Equal scores rank the lower position first (a stable sort on descending score).
- The timestep schedule's k is capped at the number of candidates (it never exceeds it).
- N = 0 does no forward pass and returns no tokens. A shifted family needs a token before
  the span (bos or a non-empty prefix): without one position b has no logits row.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_forward  # noqa: E402

ALGS = ("confidence", "margin", "entropy")
SCHEDULES = ("timestep", "even")
ARCH_BY_MODEL_TYPE = {"dream": "dream", "qwen2": "qwen2_mdm", "llada": "llada"}


# ---------------------------------------------------------------------------------------
# family facts

class Family:
    """Arch, special ids and logits convention of one checkpoint folder.

    Arch by config model_type ("Dream" -> dream, "qwen2" -> qwen2_mdm, "llada" -> llada).
    mask = config mask_token_id; bos = config, else generation_config, else none; eos =
    config (first of a list), else generation_config; pad = config, else
    generation_config, else none. Dream and Qwen2 masked-diffusion models use shifted
    logits (position i is predicted from row i-1); LLaDA unshifted (row i) -- the
    "Two conventions that decide correctness" of dllm-models.md.
    """

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        gen = {}
        gen_path = os.path.join(model_dir, "generation_config.json")
        if os.path.exists(gen_path):
            with open(gen_path) as f:
                gen = json.load(f)
        model_type = str(cfg.get("model_type", "")).lower()
        if model_type not in ARCH_BY_MODEL_TYPE:
            raise ValueError("unknown model_type %r" % cfg.get("model_type"))
        self.arch = ARCH_BY_MODEL_TYPE[model_type]
        self.shifted = self.arch in ("dream", "qwen2_mdm")
        self.mask = _first(cfg.get("mask_token_id"))
        if self.mask is None:
            raise ValueError("config.json has no mask_token_id")
        self.bos = _first(_either(cfg, gen, "bos_token_id"))
        self.eos = _first(_either(cfg, gen, "eos_token_id"))
        self.pad = _first(_either(cfg, gen, "pad_token_id"))
        self.n_tokens = tokenizer_size(model_dir)


def tokenizer_size(model_dir):
    """1 + the largest id of tokenizer.json (its BPE vocab and its added tokens), or of
    vocab.json plus tokenizer_config.json's added_tokens_decoder; None without either."""
    ids = []
    path = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            tok = json.load(f)
        ids += list((tok.get("model") or {}).get("vocab", {}).values())
        ids += [t["id"] for t in tok.get("added_tokens") or []]
    else:
        path = os.path.join(model_dir, "vocab.json")
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            ids += list(json.load(f).values())
        path = os.path.join(model_dir, "tokenizer_config.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                ids += [int(i) for i in json.load(f).get("added_tokens_decoder", {})]
    return 1 + max(ids) if ids else None


def _either(cfg, gen, key):
    """config.json's value of key when present and not null, else generation_config's."""
    value = cfg.get(key)
    return value if value is not None else gen.get(key)


def _first(value):
    """An id, or the first id of a list (eos_token_id may be a list); None stays None."""
    if isinstance(value, list):
        return int(value[0]) if value else None
    return None if value is None else int(value)


class Settings:
    """The decoding settings after defaults.

    Defaults: steps = N; alg "entropy" and schedule "timestep" for dream / qwen2_mdm
    (Dream's diffusion_generate), "confidence" and "even" for llada (LLaDA's generate,
    low_confidence remasking); block_length = N (one block) for dream / qwen2_mdm,
    min(32, N) for llada. threshold and factor are exclusive; either replaces the
    schedule's count.
    """

    def __init__(self, family, n, steps=None, alg=None, schedule=None, block_length=None,
                 threshold=None, factor=None, eps=1e-3):
        llada = family.arch == "llada"
        self.n = int(n)
        self.steps = self.n if steps is None else int(steps)
        self.alg = alg or ("confidence" if llada else "entropy")
        self.schedule = schedule or ("even" if llada else "timestep")
        if block_length is None:
            block_length = min(32, self.n) if llada else self.n
        self.block_length = int(block_length)
        self.threshold, self.factor, self.eps = threshold, factor, float(eps)
        if self.n < 0:
            raise ValueError("max-tokens must be >= 0")
        if self.alg not in ALGS:
            raise ValueError("alg must be one of %s" % (ALGS,))
        if self.schedule not in SCHEDULES:
            raise ValueError("schedule must be one of %s" % (SCHEDULES,))
        if threshold is not None and factor is not None:
            raise ValueError("threshold and factor are exclusive")
        if self.n > 0 and (self.steps < 1 or self.block_length < 1):
            raise ValueError("steps and block-length must be >= 1")


# ---------------------------------------------------------------------------------------
# canvas and blocks

def build_canvas(family, prefix_ids, suffix_ids, n):
    """([bos] + prefix + [mask] * n + suffix + [eos], b, e); the span is [b, e).

    dllm-models.md "Infilling canvas": [BOS] prefix [MASK] x k suffix [EOS]; bos and eos
    are left out when the checkpoint names none.
    """
    head = ([family.bos] if family.bos is not None else []) + list(prefix_ids)
    tail = list(suffix_ids) + ([family.eos] if family.eos is not None else [])
    b = len(head)
    return head + [family.mask] * n + tail, b, b + n


def blocks_of(b, e, block_length):
    """Block k covers [b + k*L, min(b + (k+1)*L, e)); ceil(N / L) blocks, in order."""
    return [(start, min(start + block_length, e)) for start in range(b, e, block_length)]


# ---------------------------------------------------------------------------------------
# per-position prediction

def softmax(row):
    """float64 softmax of one logits row."""
    z = row - row.max()
    p = np.exp(z)
    return p / p.sum()


def choosable_row(row, family):
    """The row restricted to the choosable ids: the first n_tokens entries (when the
    tokenizer is smaller than the row), with the mask id's logit set to -inf."""
    row = np.array(row[:family.n_tokens] if family.n_tokens else row, dtype=np.float64)
    if family.mask < len(row):
        row[family.mask] = -np.inf
    return row


def predict(row, alg):
    """(x0, score, x0_gap) of one logits row (already restricted by choosable_row).

    x0 = argmax p, lowest id on ties (np.argmax). Scores (Dream's / LLaDA's, see
    "Decoding algorithms"): confidence = p[x0] (maskgit_plus, low_confidence); margin =
    p1 - p2 (topk_margin); entropy = sum p log p over p > 0 (negative entropy: higher is
    more certain). x0_gap = p1 - p2, how decisive the argmax was (for tie reports).
    """
    p = softmax(row)
    x0 = int(np.argmax(p))
    top2 = np.sort(p)[::-1][:2]
    gap = float(top2[0] - top2[1]) if len(top2) > 1 else math.inf
    if alg == "confidence":
        score = float(p[x0])
    elif alg == "margin":
        score = gap
    else:
        nz = p[p > 0]
        score = float(np.sum(nz * np.log(nz)))
    return x0, score, gap


def rank(candidates):
    """Candidates sorted by descending score, the lower position first on equal scores."""
    return sorted(candidates, key=lambda c: (-c["score"], c["pos"]))


# ---------------------------------------------------------------------------------------
# how many to reveal

def count_threshold(ranked, tau):
    """Fast-dLLM threshold: every candidate with score >= tau; if none, the single best.

    Returns (k, gap): gap is the closest call that decided k (the nearest score to tau,
    and when only the best is taken, also its lead over the second).
    """
    k = sum(1 for c in ranked if c["score"] >= tau)
    gap = min(abs(c["score"] - tau) for c in ranked)
    if k == 0:
        k = 1
        gap = min(gap, _rank_gap(ranked, 1))
    return k, gap


def count_factor(ranked, factor):
    """Fast-dLLM factor: scores c_1 >= c_2 >= ...; the largest n with c_i >= 1 - F/(i+1)
    for every i in 1..n; k = max(n, 1). Returns (k, gap of the closest deciding call)."""
    n, gap = 0, math.inf
    for i, c in enumerate(ranked, start=1):
        bound = 1.0 - factor / (i + 1)
        gap = min(gap, abs(c["score"] - bound))
        if c["score"] < bound:
            break
        n = i
    k = max(n, 1)
    return k, min(gap, _rank_gap(ranked, k))


def count_timestep(j, spb, eps, n_masked):
    """Dream's schedule: ts = linspace(1, eps, spb + 1) within the block; at step j,
    t = 1 + (eps - 1) * j / spb and s = 1 + (eps - 1) * (j + 1) / spb (these double
    expressions, in this order); k = floor(n * (1 - s / t)), and all n on the last step.
    """
    if j >= spb - 1:
        return n_masked
    t = 1.0 + (eps - 1.0) * j / spb
    s = 1.0 + (eps - 1.0) * (j + 1) / spb
    return min(n_masked, int(math.floor(n_masked * (1.0 - s / t))))


def count_even(j, spb, n0):
    """LLaDA's schedule: the block's n0 masks split evenly over spb steps, the remainder
    to the first steps: k = n0 // spb + (1 if j < n0 % spb else 0)."""
    return n0 // spb + (1 if j < n0 % spb else 0)


def _rank_gap(ranked, k):
    """Score lead of the k-th best over the (k+1)-th: how decisive the top-k cut was."""
    if 0 < k < len(ranked):
        return ranked[k - 1]["score"] - ranked[k]["score"]
    return math.inf


# ---------------------------------------------------------------------------------------
# the loop

def denoise(model_dir, prefix_ids, suffix_ids, n, steps=None, alg=None, schedule=None,
            block_length=None, threshold=None, factor=None, eps=1e-3, weights=None,
            trace=None):
    """Run the loop; returns {"tokens", "canvas", "steps"} (steps = forward passes).

    weights: tensors from reference_forward.load_weights(model_dir), to reuse a load.
    trace: a list to append one dict per step to (block, j, k, revealed [(pos, x0)],
    candidates [(pos, x0, score)], gap = the closest float comparison that decided the
    step: the k-th vs (k+1)-th score, a score vs the threshold / factor bound, or a
    revealed x0's p1 - p2).
    """
    family = Family(model_dir)
    cfg = Settings(family, n, steps, alg, schedule, block_length, threshold, factor, eps)
    if weights is None:
        weights = reference_forward.load_weights(model_dir)
    canvas, b, e = build_canvas(family, prefix_ids, suffix_ids, cfg.n)
    if cfg.n > 0 and family.shifted and b == 0:
        raise ValueError("a shifted family needs bos or a prefix before the span")
    masked = [b <= i < e for i in range(len(canvas))]
    blocks = blocks_of(b, e, cfg.block_length) if cfg.n > 0 else []
    spb = max(1, cfg.steps // len(blocks)) if blocks else 0
    passes = 0
    for block_index, (lo, hi) in enumerate(blocks):
        n0 = sum(masked[lo:hi])
        j = 0
        while any(masked[lo:hi]):
            logits = reference_forward.forward(model_dir, canvas, "full", weights)
            passes += 1
            candidates = []
            for pos in range(lo, hi):
                if masked[pos]:
                    row = logits[pos - 1] if family.shifted else logits[pos]
                    x0, score, x0_gap = predict(choosable_row(row, family), cfg.alg)
                    candidates.append({"pos": pos, "x0": x0, "score": score,
                                       "x0_gap": x0_gap})
            ranked = rank(candidates)
            if cfg.threshold is not None:
                k, gap = count_threshold(ranked, cfg.threshold)
            elif cfg.factor is not None:
                k, gap = count_factor(ranked, cfg.factor)
            else:
                if cfg.schedule == "timestep":
                    k = count_timestep(j, spb, cfg.eps, len(ranked))
                else:
                    k = count_even(j, spb, n0)
                k = min(k, len(ranked))
                gap = _rank_gap(ranked, k)
            revealed = ranked[:k]
            for c in revealed:
                canvas[c["pos"]] = c["x0"]
                masked[c["pos"]] = False
                gap = min(gap, c["x0_gap"])
            if trace is not None:
                trace.append({"block": block_index, "j": j, "k": k, "gap": gap,
                              "revealed": [(c["pos"], c["x0"]) for c in revealed],
                              "candidates": [(c["pos"], c["x0"], c["score"])
                                             for c in candidates]})
            j += 1
    return {"tokens": output_tokens(canvas[b:e], family), "canvas": canvas,
            "steps": passes}


def output_tokens(span, family):
    """The span cut before the first eos or pad (neither included); all of it if none."""
    stops = {t for t in (family.eos, family.pad) if t is not None}
    for i, t in enumerate(span):
        if t in stops:
            return list(span[:i])
    return list(span)


# ---------------------------------------------------------------------------------------
# command line

def parse_ids(text):
    return [int(t) for t in text.replace(" ", "").split(",") if t]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--prefix-ids", default="", help="comma-separated token ids")
    p.add_argument("--suffix-ids", default="", help="comma-separated token ids")
    p.add_argument("--max-tokens", type=int, required=True, help="N, the span length")
    p.add_argument("--steps", type=int)
    p.add_argument("--alg", choices=ALGS)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--block-length", type=int)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--threshold", type=float)
    g.add_argument("--factor", type=float)
    p.add_argument("--eps", type=float, default=1e-3)
    p.add_argument("--trace", action="store_true", help="print every step to stderr")
    a = p.parse_args(argv)
    trace = [] if a.trace else None
    try:
        out = denoise(a.model, parse_ids(a.prefix_ids), parse_ids(a.suffix_ids),
                      a.max_tokens, a.steps, a.alg, a.schedule, a.block_length,
                      a.threshold, a.factor, a.eps, trace=trace)
    except ValueError as e:
        print("reference_denoise: error: %s" % e, file=sys.stderr)
        return 2
    for st in trace or []:
        print("block %d step %d: k=%d reveal %s (gap %.3g; candidates %s)"
              % (st["block"], st["j"], st["k"],
                 " ".join("%d=%d" % r for r in st["revealed"]) or "-", st["gap"],
                 " ".join("%d:%d/%.4f" % c for c in st["candidates"])), file=sys.stderr)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
