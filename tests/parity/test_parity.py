#!/usr/bin/env python3
"""Parity of `infilld forward` with the NumPy reference (tools/reference_forward.py).

For each family (dream, qwen2_mdm, llada) x dtype (f32, bf16) x shards (1, 3) it writes a
seeded tiny checkpoint (tools/tiny_checkpoint.py), runs

    infilld info --model DIR
    infilld forward --model DIR --tokens 5,17,... --out OUT.npy

and compares OUT.npy (float32 [T, vocab_size]) with the reference logits:
f32: max |ours - ref| <= 1e-4; bf16: max |ours - ref| / max |ref| <= 2e-2.
It does the same for a tiny look-alike of every real checkpoint folder in
shared/data/checkpoints that has a model.safetensors.index.json (skipped when absent).
For each family's bf16 checkpoint, and for models/default (infilld FIM), it also runs
`forward --quantize q8` (8-bit weights, kernels/cpu/quantize.h) and bounds its error
against our own bf16 logits relative to their scale: max |q8 - bf16| / max |bf16| <= 6e-2
at 12 positions (our integer kernel) and at 24 (the float panels); `info --quantize q8`
must report the weights quantized, resident in at most 60 % of the stored bytes.

    test_parity.py --infilld PATH [--workdir DIR] [--only SUBSTRING] [--checkpoints DIR]

One line per case (`ok <case> maxdiff=...` / `FAIL <case> ...` / `skipped <case>: why`),
then the last line `N passed, M failed, K skipped`; exit status 1 if any failed. With
INFILLD_REQUIRE_ALL=1 a skipped case is a failure (tests/parity/harness.py).
"""
import os
import re
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import reference_forward  # noqa: E402
import tiny_checkpoint  # noqa: E402

F32_ABS_TOL = 1e-4
BF16_REL_TOL = 2e-2
Q8_REL_TOL = 6e-2  # random tiny weights; models/default, trained, stays near 2e-2
NUM_TOKENS = 24
# Expected look-alike cases, reported as skipped when the shared folder is absent.
KNOWN_REAL = ("dream-v0-base-7b", "dream-v0-instruct-7b", "llada-8b-instruct")


class CaseFailure(Exception):
    pass


def pick_tokens(info, seed):
    """~24 ids: BOS first, random tokenizer ids, the mask id (3 times), the last row."""
    rng = np.random.default_rng(1000 + seed)
    ids = [int(t) for t in rng.integers(0, info["tokenizer_size"], NUM_TOKENS)]
    ids[0] = info["bos_token_id"]
    for pos in (5, 6, 15):
        ids[pos] = info["mask_token_id"]
    ids[11] = info["vocab_size"] - 1  # a padding row beyond the tokenizer
    ids[-1] = info["eos_token_id"]
    return ids


def run(cmd, timeout):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise CaseFailure("cannot run %s" % cmd[0])
    except subprocess.TimeoutExpired:
        raise CaseFailure("timed out after %ds: %s" % (timeout, " ".join(cmd[1:3])))


def describe(proc):
    err = " | ".join(proc.stderr.strip().splitlines()[-2:])
    return "exit %d%s" % (proc.returncode, (": " + err[:300]) if err else "")


def check_info(binary, model_dir, info, timeout):
    proc = run([binary, "info", "--model", model_dir], timeout)
    if proc.returncode != 0:
        raise CaseFailure("info: " + describe(proc))
    out = proc.stdout.lower()
    arch_word = str(info["config"]["model_type"]).lower()  # dream / qwen2 / llada
    if arch_word not in out:
        raise CaseFailure("info: stdout does not mention %r" % arch_word)
    if not re.search(r"(?<!\d)%d(?!\d)" % info["mask_token_id"], proc.stdout):
        raise CaseFailure("info: stdout does not mention mask id %d" % info["mask_token_id"])


def check_forward(binary, model_dir, info, tokens, out_path, timeout):
    """Runs forward and compares; returns a description, raises CaseFailure when off."""
    proc = run([binary, "forward", "--model", model_dir,
                "--tokens", ",".join(map(str, tokens)), "--out", out_path], timeout)
    if proc.returncode != 0:
        raise CaseFailure("forward: " + describe(proc))
    try:
        ours = np.load(out_path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is a failure
        raise CaseFailure("forward: cannot read %s: %s" % (out_path, e))
    want_shape = (len(tokens), info["vocab_size"])
    if ours.dtype != np.float32 or ours.shape != want_shape:
        raise CaseFailure("forward: got %s %s, expected float32 %s"
                          % (ours.dtype, ours.shape, want_shape))
    if not np.all(np.isfinite(ours)):
        raise CaseFailure("forward: non-finite logits")
    ref = reference_forward.forward(model_dir, tokens, "full")
    diff = np.abs(ours.astype(np.float64) - ref)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    if info["dtype"] == "F32":
        metric, tol = diff.max(), F32_ABS_TOL
        text = "maxdiff=%.3g (tol %g)" % (metric, tol)
    else:
        metric, tol = diff.max() / np.abs(ref).max(), BF16_REL_TOL
        text = "maxdiff=%.3g rel=%.3g (tol %g)" % (diff.max(), metric, tol)
    if not metric <= tol:
        raise CaseFailure("%s at [pos %d, id %d]: ours %.6g ref %.6g"
                          % (text, worst[0], worst[1], ours[worst], ref[worst]))
    return text


def forward_logits(binary, model_dir, tokens, out_path, timeout, extra=()):
    proc = run([binary, "forward", "--model", model_dir, "--tokens", ",".join(map(str, tokens)),
                "--out", out_path, *extra], timeout)
    if proc.returncode != 0:
        raise CaseFailure("forward %s: %s" % (" ".join(extra), describe(proc)))
    return np.load(out_path, allow_pickle=False).astype(np.float64)


def mib(line, label):
    m = re.search(r"([\d.]+) (KiB|MiB|GiB) " + label, line)
    if not m:
        raise CaseFailure("info: no '%s' size in %r" % (label, line))
    return float(m.group(1)) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[m.group(2)]


def check_q8(binary, model_dir, tokens, workdir, name, timeout, forward_args=()):
    """8-bit weights against our own bf16 forward, and the resident size info reports."""
    proc = run([binary, "info", "--model", model_dir, "--quantize", "q8"], timeout)
    if proc.returncode != 0:
        raise CaseFailure("info --quantize q8: " + describe(proc))
    lines = {l.split()[0]: l for l in proc.stdout.splitlines() if l.strip()}
    if "resident" not in lines or "(q8)" not in lines["resident"]:
        raise CaseFailure("info --quantize q8 does not report q8 weights: %r" % lines.get("resident"))
    stored, resident = mib(lines["weights"], "in"), mib(lines["resident"], r"weights \(q8\)")
    if not resident <= 0.6 * stored:
        raise CaseFailure("q8 weights take %.3f MiB of %.3f MiB stored" % (resident, stored))
    rels = []
    # 12 positions take the integer kernel (activations quantized too), all of them (more
    # than 16) the float32 panels the blocks are widened into (kernels/cpu/matmul.cpp)
    for n in (12, len(tokens)):
        paths = [os.path.join(workdir, "%s.%d.%s.npy" % (name, n, q)) for q in ("bf16", "q8")]
        bf16 = forward_logits(binary, model_dir, tokens[:n], paths[0], timeout, forward_args)
        q8 = forward_logits(binary, model_dir, tokens[:n], paths[1], timeout,
                            (*forward_args, "--quantize", "q8"))
        if q8.shape != bf16.shape or not np.all(np.isfinite(q8)):
            raise CaseFailure("q8 logits: shape %s, finite %s" % (q8.shape, np.all(np.isfinite(q8))))
        rels.append(np.abs(q8 - bf16).max() / np.abs(bf16).max())
    text = "q8 vs bf16 rel=%.3g at 12 positions, %.3g at %d (tol %g), resident %.3f of %.3f MiB" % (
        rels[0], rels[1], len(tokens), Q8_REL_TOL, resident, stored)
    if not max(rels) <= Q8_REL_TOL:
        raise CaseFailure(text)
    if min(rels) == 0:
        raise CaseFailure("q8 logits equal the bf16 ones: nothing was quantized")
    return text


def build_cases(checkpoints_dir):
    """[(name, kwargs for write_checkpoint or None when skipped, skip reason)]."""
    cases, seed = [], 0
    for arch in tiny_checkpoint.ARCHS:
        for dtype in ("f32", "bf16"):
            for shards in (1, 3):
                seed += 1
                cases.append(("%s-%s-shards%d" % (arch, dtype, shards),
                              dict(arch=arch, dtype=dtype, shards=shards, seed=seed), None))
        seed += 1
        cases.append(("%s-bf16-q8" % arch, dict(arch=arch, dtype="bf16", shards=1, seed=seed,
                                                quantize="q8"), None))
    # infilld's own format (block-causal) on the shipped model's trained weights
    cases.append(("infilld_fim-default-q8", dict(default_model=True, seed=seed + 1), None))
    if checkpoints_dir and os.path.isdir(checkpoints_dir):
        for name in sorted(os.listdir(checkpoints_dir)):
            real = os.path.join(checkpoints_dir, name)
            if os.path.exists(os.path.join(real, "model.safetensors.index.json")):
                seed += 1
                cases.append(("like-" + name, dict(arch=None, dtype="bf16", shards=None,
                                                   seed=seed, like=real), None))
    else:
        for name in KNOWN_REAL:
            cases.append(("like-" + name, None, "%s absent" % checkpoints_dir))
    return cases


def run_case(binary, workdir, name, kwargs, timeout):
    model_dir = os.path.join(workdir, name)
    kwargs = dict(kwargs)
    if kwargs.get("default_model"):
        rng = np.random.default_rng(kwargs["seed"])
        tokens = [int(t) for t in rng.integers(0, 12000, 40)]
        return check_q8(binary, os.path.join(REPO, "models", "default"), tokens, workdir, name, timeout,
                        ("--context-length", "8"))
    quantize = kwargs.pop("quantize", None)
    info = tiny_checkpoint.write_checkpoint(model_dir, **kwargs)
    tokens = pick_tokens(info, kwargs["seed"])
    if quantize:
        return check_q8(binary, model_dir, tokens, workdir, name, timeout)
    check_info(binary, model_dir, info, timeout)
    return check_forward(binary, model_dir, info, tokens,
                         os.path.join(workdir, name + ".logits.npy"), timeout)


def main(argv=None):
    def extra(p):
        p.add_argument("--checkpoints", help="real checkpoint folders for the look-alike cases",
                       default=os.path.join(os.path.dirname(REPO), "shared", "data", "checkpoints"))

    a, binary = harness.parse_args(__doc__, "keep checkpoints and outputs here", 120, argv, extra)

    workdir, cleanup = harness.work_dir(a.workdir, "infilld-parity-")
    passed = failed = skipped = 0
    try:
        for name, kwargs, skip in build_cases(a.checkpoints):
            if a.only and a.only not in name:
                continue
            if kwargs is None:
                if harness.skip_case(name, skip):
                    skipped += 1
                else:
                    failed += 1
                continue
            try:
                text = run_case(binary, workdir, name, kwargs, a.timeout)
                print("ok %s %s" % (name, text), flush=True)
                passed += 1
            except CaseFailure as e:
                print("FAIL %s %s" % (name, e), flush=True)
                failed += 1
            except (SystemExit, Exception) as e:  # noqa: BLE001 - generator/reference bugs
                print("FAIL %s harness error: %s: %s" % (name, type(e).__name__, e),
                      flush=True)
                failed += 1
    finally:
        cleanup()
    return harness.summary(passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
