#!/usr/bin/env python3
"""The FIM training recipe end to end, small: corpus, tokenizer, training, export, masks.

Builds a --small corpus (tools/train/corpus.py), a 2048-token tokenizer
(tools/train/tokenizer.py), trains `train.py --config small` for --steps steps on the
CPU, then checks:
  - the loss went down (validation loss at step 0 vs the end; the logged train loss);
  - the exported folder: files, config.json (model_type, hyper-parameters, special ids
    equal to tokenizer.json's), model.safetensors (Qwen2 tensor names and shapes derived
    from the config, no lm_head.weight when tied);
  - the NumPy reference forward (fim_model.py --logits): finite [T, vocab] logits; a
    block's rows depend on the context and earlier blocks only (changing a later block
    leaves them bit-identical), all of their own block (bidirectional), and context rows
    are causal; the PyTorch model on the exported weights gives the same logits;
  - the training layout (clean + noisy copies of the blocks) gives a noisy block the
    logits that the inference layout gives the same block after the clean earlier blocks;
  - --autoregressive rows are next-token prediction: block length 1, every middle token
    masked, noisy row i sees the context, clean tokens 0..i-1 and itself only;
  - the reference denoiser stops before <|eom|>, and with <|eom|> ruled out fills its
    blocks with ordinary tokens;
  - resuming: an autoregressive warmup-stable-decay run of 24 steps trained as two slices
    (--stop-at 12, then --resume) ends with the logged losses and the weights of one
    uninterrupted run (within 1e-6: in practice bit for bit on one thread), keeps
    stable.pt at the decay's start, and its compact (bfloat16) form loads back within
    bfloat16's rounding.

    test_train_small.py [--workdir DIR] [--steps 100] [--threads 1]
Ends with the line `N passed, M failed`; exit status 1 on failure.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(REPO, "tools", "train")
sys.path.insert(0, TRAIN)

RESULTS = []


def report(ok, name, detail=""):
    RESULTS.append(bool(ok))
    print("%s: %s%s" % ("PASS" if ok else "FAIL", name,
                        ("  (%s)" % detail) if detail and not ok else ""), flush=True)
    return ok


def safetensors_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def expected_tensors(c):
    H, I, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    D = H // c["num_attention_heads"]
    A, K = c["num_attention_heads"] * D, c["num_key_value_heads"] * D
    out = {"model.embed_tokens.weight": [V, H], "model.norm.weight": [H]}
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        out.update({p + "input_layernorm.weight": [H], p + "post_attention_layernorm.weight": [H],
                    p + "self_attn.q_proj.weight": [A, H], p + "self_attn.q_proj.bias": [A],
                    p + "self_attn.k_proj.weight": [K, H], p + "self_attn.k_proj.bias": [K],
                    p + "self_attn.v_proj.weight": [K, H], p + "self_attn.v_proj.bias": [K],
                    p + "self_attn.o_proj.weight": [H, A], p + "mlp.gate_proj.weight": [I, H],
                    p + "mlp.up_proj.weight": [I, H], p + "mlp.down_proj.weight": [H, I]})
    if not c["tie_word_embeddings"]:
        out["lm_head.weight"] = [V, H]
    return out


def check_export(folder, tok_dir):
    names = ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors",
             "loss.csv", "loss.svg", "training.json")
    missing = [n for n in names if not os.path.exists(os.path.join(folder, n))]
    report(not missing, "export: the folder has %s" % ", ".join(names), "missing %s" % missing)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    keys = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "intermediate_size", "vocab_size", "rope_theta", "rms_norm_eps",
            "max_position_embeddings", "block_length", "tie_word_embeddings", "mask_token_id",
            "eom_token_id", "suffix_token_id", "prefix_token_id", "middle_token_id",
            "eos_token_id")
    report(cfg.get("model_type") == "infilld_fim" and all(k in cfg for k in keys),
           "config.json: model_type infilld_fim and every hyper-parameter",
           "lacks %s" % [k for k in keys if k not in cfg])
    with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    added = {e["content"]: e["id"] for e in tok["added_tokens"]}
    n_vocab = 1 + max(list(tok["model"]["vocab"].values()) + list(added.values()))
    want = {"mask_token_id": "<|mask|>", "eom_token_id": "<|eom|>", "suffix_token_id":
            "<|suffix|>", "prefix_token_id": "<|prefix|>", "middle_token_id": "<|middle|>",
            "eos_token_id": "<|endoftext|>"}
    bad = {k: (cfg.get(k), added[v]) for k, v in want.items() if cfg.get(k) != added[v]}
    report(not bad and cfg["vocab_size"] == n_vocab,
           "config.json: special ids and vocab_size match tokenizer.json", str(bad))
    header = safetensors_header(os.path.join(folder, "model.safetensors"))
    header.pop("__metadata__", None)
    exp = expected_tensors(cfg)
    got = {k: v["shape"] for k, v in header.items()}
    dtypes = {v["dtype"] for v in header.values()}
    report(got == exp and len(dtypes) == 1 and dtypes <= {"F32", "BF16"},
           "model.safetensors: Qwen2 tensor names and shapes (%d tensors, %s)"
           % (len(got), "/".join(sorted(dtypes))),
           "extra %s, missing %s, wrong %s" % (sorted(set(got) - set(exp))[:4],
                                               sorted(set(exp) - set(got))[:4],
                                               [k for k in exp if k in got and got[k] != exp[k]][:4]))
    return cfg


def check_reference(folder, cfg, tok_dir, work):
    import tokenizer as tk
    import fim_data
    enc = tk.Tokenizer(tok_dir)
    ids = lambda s: fim_data.encode_plain(s, enc)  # noqa: E731
    L = cfg["block_length"]
    suffix = ids("\n    return total\n")
    prefix = ids("def add_all(values):\n    total = 0\n    for v in values:\n")
    ctx = [cfg["suffix_token_id"]] + suffix + [cfg["prefix_token_id"]] + prefix + \
          [cfg["middle_token_id"]]
    C = len(ctx)
    mid = ids("        total += v\n        count = count + 1 # more tokens here\n")
    blocks = (mid + [cfg["mask_token_id"]] * (3 * L))[:3 * L - 2]  # 3 blocks, the last partial
    blocks[L + 1] = blocks[L + 3] = cfg["mask_token_id"]
    seq = ctx + blocks
    T = len(seq)

    def ref(tokens, tag):
        out = os.path.join(work, "logits_%s.npy" % tag)
        r = subprocess.run([sys.executable, os.path.join(TRAIN, "fim_model.py"), "--logits",
                            folder, "--tokens", ",".join(map(str, tokens)), "--context-length",
                            str(C), "--out", out], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print(r.stderr[-2000:])
            return None
        return np.load(out)

    base = ref(seq, "base")
    if not report(base is not None and base.shape == (T, cfg["vocab_size"])
                  and np.isfinite(base).all(),
                  "reference forward: fim_model.py --logits writes finite [T, vocab] logits",
                  None if base is None else str(base.shape)):
        return

    def changed(tokens, tag):
        other = ref(tokens, tag)
        return np.abs(other - base).max(axis=-1)  # per row

    b1, b2 = C + L, C + 2 * L
    alt = list(seq)
    alt[b2 + 1] = (alt[b2 + 1] + 7) % 200  # a token of the last block
    d = changed(alt, "later")
    report((d[:b2] == 0).all() and d[b2:].max() > 0,
           "mask: changing block 3 leaves the context and blocks 1-2 rows bit-identical and "
           "moves block 3's rows", "max change before %.3g, in block 3 %.3g"
           % (d[:b2].max(), d[b2:].max()))
    alt = list(seq)
    alt[b1 + L - 1] = (alt[b1 + L - 1] + 11) % 200  # the last token of block 2
    d = changed(alt, "mid")
    report((d[:b1] == 0).all() and (d[b1:b1 + L] > 0).all() and (d[b2:] > 0).all(),
           "mask: a block's rows see all of their own block (bidirectional) and later blocks "
           "see it; earlier rows do not", "before %.3g, block 2 min %.3g, block 3 min %.3g"
           % (d[:b1].max(), d[b1:b1 + L].min(), d[b2:].min()))
    p = C // 2
    alt = list(seq)
    alt[p] = (alt[p] + 5) % 200
    d = changed(alt, "ctx")
    report((d[:p] == 0).all() and (d[p:] > 0).all(),
           "mask: context rows are causal (a change at position p moves rows p.. only)",
           "before %.3g, after min %.3g" % (d[:p].max(), d[p:].min()))
    import fim_model
    model, _ = fim_model.load_exported(folder)
    tl = fim_model.sequence_logits(model, seq, C).numpy()
    err = np.abs(tl - base).max()
    report(err < 2e-3 * max(1.0, np.abs(base).max()),
           "PyTorch model on the exported weights == NumPy reference (max |diff| %.2g)" % err)


def check_training_layout(model_cfg_folder, data_dir):
    """Noisy block rows in the training layout == the inference layout's rows."""
    import torch
    import fim_data
    import fim_model
    model, cfg = fim_model.load_exported(model_cfg_folder)
    L = cfg["block_length"]
    data = fim_data.TokenData(data_dir)
    smp = fim_data.FimSampler(data, 256, L, 40, "train", seed=5)
    worst, checked = 0.0, 0
    for _ in range(6):
        (ids, pos, stream, blk, target, weight, _), region = smp.example()
        t = {k: torch.as_tensor(v)[None] for k, v in
             (("ids", ids), ("pos", pos), ("stream", stream), ("blk", blk))}
        with torch.no_grad():
            logits = model(t["ids"], t["pos"], fim_model.build_mask(t["stream"], t["blk"],
                                                                    t["pos"]))[0]
        C = int((stream == fim_data.CTX).sum())
        clean = ids[stream == fim_data.BLOCK]
        noisy_rows = np.nonzero(stream == fim_data.NOISY)[0]
        noisy = ids[noisy_rows]
        for b in range(region // L):
            seq = list(ids[:C]) + list(clean[:b * L]) + list(noisy[b * L:(b + 1) * L])
            inf = fim_model.sequence_logits(model, seq, C, L)[-L:]
            tr = logits[noisy_rows[b * L:(b + 1) * L]]
            worst = max(worst, float((inf - tr).abs().max()))
            checked += 1
    report(worst < 1e-3, "training layout: %d noisy blocks get the logits of the inference "
           "layout (max |diff| %.2g)" % (checked, worst))


def check_autoregressive(data_dir):
    import torch
    import fim_data
    import fim_model
    data = fim_data.TokenData(data_dir)
    smp = fim_data.FimSampler(data, 256, 1, 40, "train", seed=9, autoregressive=True)
    ok, why = True, ""
    for _ in range(20):
        (ids, pos, stream, blk, target, weight, _), region = smp.example()
        C = int((stream == fim_data.CTX).sum())
        clean_rows = np.nonzero(stream == fim_data.BLOCK)[0]
        noisy_rows = np.nonzero(stream == fim_data.NOISY)[0]
        m = fim_model.build_mask(*(torch.as_tensor(v)[None] for v in (stream, blk, pos)))[0, 0]
        if not (ids[noisy_rows] == data.special["<|mask|>"]).all():
            ok, why = False, "a middle token left unmasked"
        if not (target[noisy_rows] == ids[clean_rows]).all() or not (weight[noisy_rows] == 1).all():
            ok, why = False, "targets are not the clean tokens with weight 1"
        if ids[clean_rows[-1]] != data.special["<|eom|>"]:
            ok, why = False, "the middle does not end with <|eom|>"
        for i, r in enumerate(noisy_rows):
            want = np.zeros(len(ids), dtype=bool)
            want[:C] = True
            want[clean_rows[:i]] = True
            want[r] = True
            if not (m[r].numpy() == want).all():
                ok, why = False, "noisy row %d sees %s" % (i, np.nonzero(m[r].numpy())[0][-5:])
                break
            if pos[r] != C + i:
                ok, why = False, "position of noisy row %d is %d" % (i, pos[r])
    report(ok, "--autoregressive: every middle token masked, row i sees the context, clean "
           "tokens < i and itself (next-token prediction)", why)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", help="keep the corpus, tokenizer and model here")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--infilld", help="the infilld binary: its logits must match the NumPy "
                    "reference on the exported model, and it must complete with it")
    a = ap.parse_args(argv)
    try:
        import torch
        import regex  # noqa: F401
    except ImportError as e:
        print("skipped: %s" % e)
        return 0
    torch.set_num_threads(a.threads)
    work = a.workdir or tempfile.mkdtemp(prefix="infilld_train_")
    os.makedirs(work, exist_ok=True)
    import corpus
    import tokenizer
    t0 = time.time()
    corpus_dir, tok_dir = os.path.join(work, "corpus"), os.path.join(work, "tokenizer")
    if not os.path.exists(os.path.join(corpus_dir, "stats.json")):
        if corpus.main(["--small", "--quiet", "--out", corpus_dir]) != 0:
            report(False, "corpus --small")
            return finish()
    if not os.path.exists(os.path.join(tok_dir, "tokenizer.json")):
        tokenizer.train(corpus_dir, tok_dir, vocab_size=2048, sample_mb=2.0,
                        log=lambda *x: None)
    print("corpus + tokenizer: %.0fs" % (time.time() - t0), flush=True)
    out, data_dir = os.path.join(work, "model"), os.path.join(work, "tokenized")
    t1 = time.time()
    cmd = [sys.executable, os.path.join(TRAIN, "train.py"), "--config", "small", "--corpus",
           corpus_dir, "--tokenizer", tok_dir, "--data", data_dir, "--out", out,
           "--steps", str(a.steps), "--threads", str(a.threads), "--eval-every",
           str(max(10, a.steps // 2)), "--log-every", "10", "--tokenize-workers", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    print(r.stdout[-3000:], r.stderr[-3000:], sep="", flush=True)
    if not report(r.returncode == 0, "train.py --config small --steps %d ran (%.0fs)"
                  % (a.steps, time.time() - t1), "exit %d" % r.returncode):
        return finish()
    rows = []
    with open(os.path.join(out, "loss.csv")) as f:
        cols = f.readline().strip().split(",")
        for line in f:
            rows.append(dict(zip(cols, line.strip().split(","))))
    val = [float(r["val_loss"]) for r in rows if r["val_loss"]]
    tr = [float(r["train_loss"]) for r in rows if r["train_loss"]]
    report(len(val) >= 2 and val[-1] < val[0] - 0.5,
           "validation loss went down (%s)" % " -> ".join("%.3f" % v for v in val))
    report(len(tr) >= 3 and np.mean(tr[-2:]) < tr[0] - 0.5,
           "train loss went down (%.3f -> %.3f)" % (tr[0], np.mean(tr[-2:])) if tr else "no rows")
    cfg = check_export(out, tok_dir)
    check_reference(out, cfg, tok_dir, work)
    check_training_layout(out, data_dir)
    check_autoregressive(data_dir)
    import fim_model
    import fim_data
    import tokenizer as tk
    model, mcfg = fim_model.load_exported(out)
    enc = tk.Tokenizer(tok_dir)
    check_denoiser(fim_model, model, mcfg, fim_data.encode_plain("def f(x):\n    return", enc),
                   fim_data.encode_plain("\n", enc), enc)
    check_resume(work, corpus_dir, tok_dir, data_dir, a.threads)
    if a.infilld:
        check_engine(a.infilld, out, cfg, work)
    print("total %.0fs; work dir %s" % (time.time() - t0, work))
    if not a.workdir and all(RESULTS):
        shutil.rmtree(work, ignore_errors=True)
    return finish()


def check_resume(work, corpus_dir, tok_dir, data_dir, threads, steps=24):
    """Two slices that resume == one uninterrupted run (losses and weights)."""
    import torch
    import checkpoint

    def run(name, *extra):
        out = os.path.join(work, name)
        cmd = [sys.executable, os.path.join(TRAIN, "train.py"), "--config", "small",
               "--corpus", corpus_dir, "--tokenizer", tok_dir, "--data", data_dir,
               "--out", out, "--steps", str(steps), "--threads", str(threads),
               "--autoregressive", "--schedule", "wsd", "--decay-frac", "0.25",
               "--context-loss", "1", "--context-rows", "0.5", "--warmup", "4",
               "--eval-every", "1000", "--log-every", "2", "--ckpt-every", "5", "--quiet"]
        r = subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print(r.stderr[-2000:])
        return r.returncode == 0, out + ".work"

    ok1, whole = run("resume-whole")
    ok2, sliced = run("resume-sliced", "--stop-at", str(steps // 2))
    ok3, _ = run("resume-sliced", "--resume")
    if not report(ok1 and ok2 and ok3, "resume: the uninterrupted run and both slices ran"):
        return
    a = checkpoint.load(os.path.join(whole, "ckpt.pt"))
    b = checkpoint.load(os.path.join(sliced, "ckpt.pt"))
    la = [r["train_loss"] for r in a["history"] if "train_loss" in r]
    lb = [r["train_loss"] for r in b["history"] if "train_loss" in r]
    loss_diff = max(abs(x - y) for x, y in zip(la, lb)) if len(la) == len(lb) else float("inf")
    w_diff = max(float((a["model"][k] - b["model"][k]).abs().max()) for k in a["model"])
    report(a["step"] == b["step"] == steps and len(la) == steps // 2 and loss_diff <= 1e-6
           and w_diff <= 1e-6,
           "resume: two slices (--stop-at %d, --resume) == one run of %d steps: %d logged "
           "losses within %.1g, weights within %.1g" % (steps // 2, steps, len(lb),
                                                        loss_diff, w_diff),
           "steps %d/%d, %d/%d losses" % (a["step"], b["step"], len(la), len(lb)))
    stable = os.path.join(whole, "stable.pt")
    st = checkpoint.load(stable) if os.path.exists(stable) else {}
    report(st.get("step") == steps - steps // 4,
           "resume: stable.pt is kept at the decay's start (step %s)" % st.get("step"))
    small = os.path.join(work, "compact.pt")
    full = os.path.join(whole, "ckpt.pt")
    checkpoint.main(["compact", full, small])
    c = checkpoint.load(small)
    rel = max(float(((c["model"][k] - a["model"][k]).abs() /
                     a["model"][k].abs().clamp_min(1e-30)).max()) for k in a["model"])
    report(os.path.getsize(small) < 0.6 * os.path.getsize(full) and rel <= 2 ** -8
           and c["step"] == steps and c["model"][next(iter(c["model"]))].dtype == torch.float32,
           "resume: the compact checkpoint is %.0f%% of the full one and loads back within "
           "bfloat16 rounding (max relative %.2g)"
           % (100 * os.path.getsize(small) / os.path.getsize(full), rel))


def check_denoiser(fim_model, model, mcfg, prefix, suffix, enc):
    """The reference denoiser (fim_model.denoise) on the trained model: it keeps what comes
    before the first <|eom|> (after 100 steps the model may stop at once: no tokens), and
    with <|eom|> ruled out it fills every block: 2 blocks of L ordinary tokens."""
    L, eom, mask = mcfg["block_length"], mcfg["eom_token_id"], mcfg["mask_token_id"]
    got = fim_model.denoise(model, mcfg, prefix, suffix, max_blocks=2)
    report(isinstance(got, list) and len(got) <= 2 * L and eom not in got and mask not in got
           and all(0 <= t < mcfg["vocab_size"] for t in got),
           "reference denoiser stops before <|eom|> (%d tokens: %r)" % (len(got), enc.decode(got)[:60]),
           str(got))
    logits = fim_model.sequence_logits

    def no_eom(*args, **kwargs):
        out = logits(*args, **kwargs).clone()
        out[:, eom] = float("-inf")
        return out

    fim_model.sequence_logits = no_eom
    try:
        full = fim_model.denoise(model, mcfg, prefix, suffix, max_blocks=2)
    finally:
        fim_model.sequence_logits = logits
    report(isinstance(full, list) and len(full) == 2 * L and mask not in full and eom not in full
           and all(0 <= t < mcfg["vocab_size"] for t in full),
           "reference denoiser without <|eom|> fills 2 blocks (%d tokens, %d expected: %r)"
           % (len(full), 2 * L, enc.decode(full)[:60]), str(full))


def check_engine(binary, out, cfg, work):
    """The C++ engine on the exported folder: logits equal to the independent NumPy float64
    reference (tools/train/fim_reference.py) under the FIM mask, for a full and a partial
    last block and two context lengths; and `infilld complete` runs the FIM denoiser."""
    ids = [cfg["suffix_token_id"], 11, 12, cfg["prefix_token_id"], 13, 14, 15, 16,
           cfg["middle_token_id"]]
    L, mask = cfg["block_length"], cfg["mask_token_id"]
    cases = [("two blocks", ids + [21] * L + [mask] * L, len(ids)),
             ("a partial block", ids + [mask] * (L // 2 + 1), len(ids)),
             ("all context", ids[:6] + [17, 18, cfg["middle_token_id"]], 9)]
    for name, tokens, context in cases:
        mine, ref = os.path.join(work, "engine.npy"), os.path.join(work, "reference.npy")
        text = ",".join(map(str, tokens))
        r1 = subprocess.run([binary, "forward", "--model", out, "--tokens", text, "--context-length",
                             str(context), "--out", mine, "--quiet"], capture_output=True, text=True)
        r2 = subprocess.run([sys.executable, os.path.join(TRAIN, "fim_reference.py"), "--logits", out,
                             "--tokens", text, "--context-length", str(context), "--out", ref],
                            capture_output=True, text=True)
        if not report(r1.returncode == 0 and r2.returncode == 0, "engine and reference run (%s)" % name,
                      r1.stderr + r2.stderr):
            continue
        a, b = np.load(mine), np.load(ref)
        diff = float(np.abs(a - b).max()) if a.shape == b.shape else float("inf")
        report(diff < 1e-4, "engine logits = NumPy reference (%s): max |diff| %.2e" % (name, diff))
    r = subprocess.run([binary, "complete", "--model", out, "--stdin", "--json", "--max-tokens", "16"],
                       input=json.dumps({"prefix": "def f(x):\n    return ", "suffix": "\n"}),
                       capture_output=True, text=True, timeout=120)
    ok = r.returncode == 0
    got = json.loads(r.stdout) if ok else {}
    report(ok and got.get("stats", {}).get("forwards", 0) >= 1 and len(got.get("tokens", [])) <= 16,
           "infilld complete runs the FIM denoiser (%s, %d tokens)"
           % (got.get("finish_reason"), len(got.get("tokens", []))), r.stderr[-500:])


def finish():
    passed = sum(RESULTS)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
