#!/usr/bin/env python3
"""Train the infilld FIM model (masked diffusion over blocks of the middle) and export it.

    /usr/bin/python3 tools/train/train.py [--config small|default|v2|gpu] [--out DIR]
        [--corpus build/corpus] [--tokenizer build/tokenizer] [--data build/tokenized]
        [--autoregressive] [--device cpu|cuda] [--steps N] [--time-limit S] [--resume]
        [--resume-from CKPT | --init-from CKPT] [--stop-at N] [--schedule cosine|wsd] ...

The network and the attention masks: fim_model.py. The data, the FIM layout and the loss:
fim_data.py (the middle's blocks appear twice in a training row: clean, as the keys of
later blocks, and noisy, as the rows that are predicted, so a block is trained exactly
as it is decoded: seeing the context, the finished earlier blocks and its own
partly-masked self). Loss: per block b, t_b ~ U[t_min, 1]; each middle position (the
middle, <|eom|>, <|eom|> fill to the block's end) is masked with probability t_b;
sum over masked positions of CE / t_b, divided by the number of middle positions.

--autoregressive trains the baseline of the same network on the same data: block length
1 and t = 1, so block i is one <|mask|> at the position of middle token i, it sees the
context and the clean tokens 0..i-1 (block-causal with L = 1 is causal) and its row
predicts token i: exactly next-token prediction, with the query token being <|mask|> at
the predicted position instead of the previous token (no logit shift). Decoding it is
one block of one mask per step.

--context-loss W (default 0: the context is not lossed) adds W times the next-token
cross-entropy of the context rows (--context-rows F: a random share F of them, since the
LM head over every context row costs as much as the rest of the step) (row i predicts context token i + 1: shifted, unlike the
middle's rows; a row holding a real token predicts the next one, a row holding <|mask|>
predicts itself, so the two never conflict). The context rows' logits are never used
when decoding; the reported loss and validation loss are the middle's only.

Resuming (checkpoint.py): <work>/ckpt.pt every --ckpt-every steps holds the weights,
AdamW's state, the step (which is also the data position: batch n depends on (seed, n)
only) and the curve, so `--resume` (or `--resume-from CKPT`) continues exactly as an
uninterrupted run would (tests/train/test_train_small.py checks it); `--stop-at N` ends a
slice early. With `--schedule wsd` (warmup-stable-decay) <work>/stable.pt is kept at the
decay's start: the next round of training resumes from it with a larger --steps, so each
round ends with its own short decay (the exported model) and the curve goes on.
`--init-from CKPT` takes the weights only: the block-diffusion adaptation of an
autoregressive run (a larger --block-length, a new optimizer).

Configurations (--config; every field can be overridden by its flag):
  small    2 layers, hidden 128, seq 256, L 8, 300 steps: minutes on 2 CPU cores
  default  6 layers, hidden 256, seq 512, L 16, 1500 steps, context loss on a quarter of
           the context rows: the CPU run (about 8M params, 16 MB bf16; about 90 minutes
           on 2 cores with the baseline beside it)
  v2       the default network, recipe v2: autoregressive first (--autoregressive, next-
           token loss on every context row), warmup-stable-decay, 100 MB of text with
           Python weighted 3x; then --init-from its checkpoint at block length 8
  gpu      7 layers, hidden 384, seq 1024, L 16, bf16 autocast: the H200 run (<= 30 MB bf16)
The tokenized corpus (--data) is built from --corpus and --tokenizer when missing or
stale (fim_data.py tokenize); carry that folder to a machine without the corpus.
Checkpoints (--work, default <out>.work) let a run continue with --resume (the GPU
machine runs at most 10 minutes a command: use --time-limit).
"""
import argparse
import math
import os
import platform
import queue
import sys
import threading
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import checkpoint  # noqa: E402
import export as ex  # noqa: E402
import fim_data  # noqa: E402
import fim_model  # noqa: E402

CONFIGS = {
    "small": dict(layers=2, hidden=128, heads=2, kv_heads=1, intermediate=384, seq_len=256,
                  block_length=8, max_middle=48, batch=8, steps=300, lr=3e-3, warmup=20,
                  eval_every=50, eval_batches=4, log_every=10, max_mb=5.0, dtype="auto",
                  export_dtype="f32"),
    "default": dict(layers=6, hidden=256, heads=4, kv_heads=2, intermediate=768, seq_len=512,
                    block_length=16, max_middle=96, batch=16, steps=1500, lr=1.5e-3,
                    warmup=150, eval_every=250, eval_batches=16, log_every=20, max_mb=60.0,
                    dtype="auto", export_dtype="bf16", context_loss=1.0, context_rows=0.25),
    # recipe v2 (models/default since round 1): the same network, trained first as an
    # autoregressive FIM model (--autoregressive: block length 1, next-token loss on every
    # context row too) with a warmup-stable-decay schedule that resumes round after round,
    # Python weighted 3x in the data; then adapted to blocks of 8 (--init-from)
    "v2": dict(layers=6, hidden=256, heads=4, kv_heads=2, intermediate=768, seq_len=512,
               block_length=8, max_middle=96, batch=16, steps=800, lr=1.5e-3, warmup=100,
               eval_every=200, eval_batches=8, log_every=20, max_mb=100.0, dtype="auto",
               export_dtype="bf16", context_loss=1.0, context_rows=1.0, schedule="wsd",
               decay_frac=0.2, lang_weights="python=3", ckpt_every=50),
    "gpu": dict(layers=7, hidden=384, heads=6, kv_heads=2, intermediate=896, seq_len=1024,
                block_length=16, max_middle=128, batch=64, steps=30000, lr=1.5e-3,
                warmup=500, eval_every=500, eval_batches=16, log_every=50, max_mb=200.0,
                dtype="bf16", export_dtype="bf16", data_workers=6),
}
COMMON = dict(rope_theta=10000.0, rms_norm_eps=1e-6, max_position_embeddings=None,
              weight_decay=0.1, min_lr_ratio=0.1, clip=1.0, t_min=1e-3, untied=False,
              context_loss=0.0, context_rows=1.0, data_workers=0,
              seed=0, ckpt_every=1000, schedule="cosine", decay_frac=0.2, lang_weights="")
MAX_BYTES = 30 * 2 ** 20


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--config", choices=sorted(CONFIGS), default="default")
    ap.add_argument("--out", help="export folder (default build/model-<config>[-ar])")
    ap.add_argument("--work", help="checkpoints and logs (default <out>.work)")
    ap.add_argument("--corpus", default=os.path.join(REPO, "build", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "build", "tokenizer"))
    ap.add_argument("--data", help="tokenized corpus folder (default build/tokenized-<config>)")
    ap.add_argument("--tokenize-workers", type=int, default=2)
    ap.add_argument("--autoregressive", action="store_true",
                    help="the baseline: block length 1, every middle token masked")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    ap.add_argument("--resume", action="store_true", help="continue from <work>/ckpt.pt")
    ap.add_argument("--resume-from", metavar="CKPT",
                    help="continue from this checkpoint (full or compact; checkpoint.py), for "
                         "example the committed models/training/v2/stable.pt with a larger "
                         "--steps: the next round of a warmup-stable-decay run")
    ap.add_argument("--init-from", metavar="CKPT",
                    help="start from this checkpoint's weights only (new optimizer, step 0): "
                         "the block-diffusion adaptation of an autoregressive run")
    ap.add_argument("--time-limit", type=float, help="seconds of training, then export")
    ap.add_argument("--stop-at", type=int, metavar="STEP",
                    help="stop (checkpoint and export) at this step, the schedule still "
                         "that of --steps: one slice of a run that --resume continues")
    ap.add_argument("--compile", action="store_true", help="torch.compile (PyTorch 2.x)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--tokenize-only", action="store_true",
                    help="build the tokenized corpus (--data) and stop")
    for k, v in {**COMMON, **CONFIGS["default"]}.items():
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            ap.add_argument(flag, action="store_true", default=None)
        elif k == "dtype":
            ap.add_argument(flag, choices=("auto", "f32", "bf16"),
                            help="compute: bf16 autocast or f32; auto: bf16 on CUDA and on "
                                 "CPUs with AMX/AVX512-BF16 (many times faster there), else f32")
        elif k == "export_dtype":
            ap.add_argument(flag, choices=("f32", "bf16"))
        elif k == "schedule":
            ap.add_argument(flag, choices=("cosine", "wsd"),
                            help="cosine to min-lr-ratio, or warmup-stable-decay (a linear "
                                 "decay over the last --decay-frac of the steps; <work>/"
                                 "stable.pt is kept at the decay's start to resume from)")
        elif k == "lang_weights":
            ap.add_argument(flag, help="text budget weights per language, e.g. python=3 "
                                       "(default: equal shares)")
        elif k == "max_position_embeddings":
            ap.add_argument(flag, type=int, help="default: --seq-len (what is trained)")
        else:
            ap.add_argument(flag, type=float if isinstance(v, float) or v is None else int)
    a = ap.parse_args(argv)
    for k, v in list(CONFIGS[a.config].items()) + list(COMMON.items()):
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.max_position_embeddings = a.max_position_embeddings or a.seq_len
    if a.autoregressive:
        a.block_length = 1
    if a.dtype == "auto":
        a.dtype = "bf16" if a.device.startswith("cuda") or cpu_has_bf16() else "f32"
    suffix = "-ar" if a.autoregressive else ""
    a.out = a.out or os.path.join(REPO, "build", "model-%s%s" % (a.config, suffix))
    a.work = a.work or a.out.rstrip("/") + ".work"
    a.data = a.data or os.path.join(REPO, "build", "tokenized-%s" % a.config)
    return a


def cpu_has_bf16():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cpu_name():
    """The CPU's model name (/proc/cpuinfo), else the architecture."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return "%s (%d cores)" % (line.split(":", 1)[1].strip(), os.cpu_count() or 0)
    except OSError:
        pass
    return platform.processor() or platform.machine()


def model_config(a, vocab_size):
    return {"vocab_size": vocab_size, "hidden_size": a.hidden, "num_hidden_layers": a.layers,
            "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads,
            "intermediate_size": a.intermediate, "rope_theta": a.rope_theta,
            "rms_norm_eps": a.rms_norm_eps, "max_position_embeddings": a.max_position_embeddings,
            "block_length": a.block_length, "tie_word_embeddings": not a.untied}


def _sample_worker(data_dir, sampler_args, seed, batch, q):
    s = fim_data.FimSampler(fim_data.TokenData(data_dir), seed=seed, **sampler_args)
    while True:
        q.put(s.batch(batch))


class Prefetch:
    """Batches sampled in the background, overlapping the forward/backward. In a thread
    (workers 0), batch `step` depends on (seed, step) only, so a resumed run sees the
    data of an uninterrupted one; in `workers` processes (the GPU machine's data rate),
    each with its own seed (seed, step, worker), which a resumed run does not repeat."""

    def __init__(self, data_dir, sampler_args, seed, batch, workers=0, depth=8, step=0):
        self.procs = []
        if workers <= 0:
            self.q = queue.Queue(depth)
            self.sampler = fim_data.FimSampler(fim_data.TokenData(data_dir), seed=seed,
                                               **sampler_args)
            self.t = threading.Thread(target=self._run, args=(batch, step), daemon=True)
            self.t.start()
            return
        import multiprocessing as mp
        ctx = mp.get_context("spawn")  # CUDA may be initialised: no fork
        self.q = ctx.Queue(depth)
        for w in range(workers):
            p = ctx.Process(target=_sample_worker, daemon=True,
                            args=(data_dir, sampler_args, list(seed) + [w], batch, self.q))
            p.start()
            self.procs.append(p)

    def _run(self, batch, step):
        while True:
            self.q.put(self.sampler.batch(batch, step))
            step += 1

    def get(self):
        return self.q.get()

    def close(self):
        for p in self.procs:
            p.terminate()


def to_device(b, device):
    out = {k: torch.from_numpy(b[k]).to(device, non_blocking=True)
           for k in ("ids", "pos", "stream", "blk", "target", "weight", "ctx_target")}
    out["n_middle"], out["tokens"] = b["n_middle"], b["tokens"]
    return out


def loss_of(model, b, autocast, ctx_weight=0.0, ctx_rows=1.0):
    """(the middle's weighted loss per middle position, the loss to minimise (plus
    ctx_weight * the context's next-token CE), masked CE sum, masked count, context CE)."""
    mask = fim_model.build_mask(b["stream"], b["blk"], b["pos"])
    target = b["target"].reshape(-1)
    rows = (target >= 0).nonzero().squeeze(1)
    n = len(rows)
    if ctx_weight > 0:
        ct = b["ctx_target"].reshape(-1)
        crows = (ct >= 0).nonzero().squeeze(1)
        if ctx_rows < 1.0 and len(crows) > 1:  # a random share of the rows: the LM head is dear
            keep = max(1, int(len(crows) * ctx_rows))
            crows = crows[torch.randperm(len(crows), device=crows.device)[:keep]]
        rows = torch.cat([rows, crows])
    with autocast():
        logits = model(b["ids"], b["pos"], mask, rows)
    logits = logits.float()
    ce = F.cross_entropy(logits[:n], target.index_select(0, rows[:n]), reduction="none")
    w = b["weight"].reshape(-1).index_select(0, rows[:n])
    loss = (ce * w).sum() / max(1, b["n_middle"])
    total, cce = loss, None
    if ctx_weight > 0 and len(crows):
        cce = F.cross_entropy(logits[n:], ct.index_select(0, crows))
        total = loss + ctx_weight * cce
    return loss, total, ce.sum(), n, cce


def evaluate(model, batches, device, autocast):
    model.eval()
    tot = ce = n_mid = n = 0.0
    with torch.no_grad():
        for b in batches:
            b = to_device(b, device)
            loss, _, ce_sum, cnt, _ = loss_of(model, b, autocast)
            tot += float(loss) * b["n_middle"]
            n_mid += b["n_middle"]
            ce += float(ce_sum)
            n += cnt
    model.train()
    return tot / max(1, n_mid), ce / max(1, n)


def decay_start(a):
    """The first step of the warmup-stable-decay schedule's decay."""
    return max(a.warmup, int(round(a.steps * (1.0 - a.decay_frac))))


def lr_at(a, step):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    if a.schedule == "wsd":
        d0 = decay_start(a)
        if step < d0:
            return a.lr
        p = min(1.0, (step - d0 + 1) / max(1, a.steps - d0))
        return a.lr * (1.0 - (1.0 - a.min_lr_ratio) * p)
    p = min(1.0, (step - a.warmup) / max(1, a.steps - a.warmup))
    return a.lr * (a.min_lr_ratio + (1 - a.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


def make_optimizer(model, a):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                              {"params": rest, "weight_decay": 0.0}],
                             lr=a.lr, betas=(0.9, 0.95), eps=1e-8)


def main(argv=None):
    a = parse_args(argv)
    log = (lambda *x: None) if a.quiet else (lambda *x: print(*x, flush=True))
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    t_start = time.time()
    if not os.path.exists(os.path.join(a.data, "meta.json")) or os.path.isdir(a.corpus):
        if os.path.isdir(a.corpus) and os.path.exists(os.path.join(a.tokenizer, "tokenizer.json")):
            fim_data.tokenize_corpus(a.corpus, a.tokenizer, a.data, a.max_mb, a.seed,
                                     a.tokenize_workers, log,
                                     fim_data.parse_weights(a.lang_weights))
        elif not os.path.exists(os.path.join(a.data, "meta.json")):
            raise SystemExit("train: no tokenized corpus in %s and no corpus + tokenizer to "
                             "build it" % a.data)
    if a.tokenize_only:
        return 0
    data = fim_data.TokenData(a.data)
    cfg = model_config(a, data.vocab_size)
    n_params = fim_model.param_count(cfg)
    size = {"bf16": 2, "f32": 4}[a.export_dtype] * n_params
    log("model: %d layers, hidden %d, heads %d/%d, ffn %d, vocab %d, block %d, %s head: "
        "%d params (%.1fM), %.1f MB as %s%s; compute %s on %s"
        % (a.layers, a.hidden, a.heads, a.kv_heads, a.intermediate, data.vocab_size,
           a.block_length, "untied" if a.untied else "tied", n_params, n_params / 1e6,
           size / 1e6, a.export_dtype, "  ** over 30 MiB **" if size > MAX_BYTES else "",
           a.dtype, a.device))
    sampler_args = dict(seq_len=a.seq_len, block_length=a.block_length,
                        max_middle=a.max_middle, split="train",
                        autoregressive=a.autoregressive, t_min=a.t_min)
    fim_data.FimSampler(data, **sampler_args)  # checks the arguments
    try:
        val_s = fim_data.FimSampler(data, a.seq_len, a.block_length, a.max_middle, "val",
                                    1234, a.autoregressive, a.t_min)
        val_split = "val"
    except ValueError:
        val_s = fim_data.FimSampler(data, a.seq_len, a.block_length, a.max_middle, "train",
                                    1234, a.autoregressive, a.t_min)
        val_split = "train (no held-out files)"
    val_batches = [val_s.batch(a.batch) for _ in range(a.eval_batches)]
    log("data: %s: %d files, %d tokens (%d held out); eval on %d %s batches"
        % (a.data, data.meta["files"], data.meta["tokens"], data.meta["val_tokens"],
           a.eval_batches, val_split))

    model = fim_model.FimModel(cfg).to(device)
    assert sum(p.numel() for p in model.parameters()) == n_params
    opt = make_optimizer(model, a)
    step, tokens_seen, trained_s, history, first_loss = 0, 0, 0.0, [], None
    ckpt = os.path.join(a.work, "ckpt.pt")
    source = a.resume_from or (ckpt if a.resume and os.path.exists(ckpt) else None)
    if source:
        st = checkpoint.load(source, device)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, tokens_seen, trained_s, history = (st["step"], st["tokens"], st["seconds"],
                                                 st["history"])
        first_loss = st.get("first_loss")
        log("resumed from %s at step %d (%d tokens, %.0fs)" % (source, step, tokens_seen,
                                                               trained_s))
    elif a.init_from:
        st = checkpoint.load(a.init_from, device)
        model.load_state_dict(st["model"])
        log("weights from %s (step %d, %d tokens, block length %d); new optimizer"
            % (a.init_from, st["step"], st["tokens"], st["config"]["block_length"]))
    fwd = torch.compile(model) if a.compile and hasattr(torch, "compile") else model
    if device.type == "cuda" and a.dtype == "bf16":
        autocast = lambda: torch.autocast("cuda", dtype=torch.bfloat16)  # noqa: E731
    elif a.dtype == "bf16":
        autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)  # noqa: E731
    else:
        autocast = _null

    def save_ckpt(path=ckpt):
        checkpoint.save(path, {"model": model.state_dict(), "opt": opt.state_dict(),
                               "step": step, "tokens": tokens_seen, "seconds": trained_s,
                               "history": history, "first_loss": first_loss,
                               "config": cfg, "args": vars(a)})

    if step == 0:
        vl, vce = evaluate(fwd, val_batches, device, autocast)
        history.append({"step": 0, "tokens": 0, "lr": 0.0, "val_loss": vl, "val_masked_ce": vce,
                        "seconds": 0.0})
        log("step     0  val %.4f (masked CE %.4f; uniform guess: %.4f)"
            % (vl, vce, math.log(data.vocab_size)))
    seed = [a.seed] if a.data_workers <= 0 else [a.seed, step]
    pre = Prefetch(a.data, sampler_args, seed, a.batch, a.data_workers, step=step)
    run_t0 = time.time()
    win = {"loss": 0.0, "ce": 0.0, "ctx": 0.0, "n": 0, "cnt": 0, "tok": 0, "t": time.time()}
    tps = 0.0
    stop_reason = "steps"
    while step < a.steps:
        if a.time_limit and time.time() - run_t0 > a.time_limit:
            stop_reason = "time limit"
            break
        if a.stop_at is not None and step >= a.stop_at:
            stop_reason = "--stop-at"
            break
        if a.schedule == "wsd" and step == decay_start(a):
            trained_s, run_t0 = trained_s + time.time() - run_t0, time.time()
            save_ckpt(os.path.join(a.work, "stable.pt"))  # the next round resumes here
        for g in opt.param_groups:
            g["lr"] = lr_at(a, step)
        torch.manual_seed(a.seed * 1000003 + step)  # the loss's row sampling: resumable
        b = to_device(pre.get(), device)
        loss, total, ce_sum, cnt, cce = loss_of(fwd, b, autocast, a.context_loss, a.context_rows)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step += 1
        tokens_seen += b["tokens"]
        lv = float(loss)
        if not math.isfinite(lv):
            raise SystemExit("train: loss is %r at step %d" % (lv, step))
        first_loss = lv if first_loss is None else first_loss
        win["loss"] += lv
        win["ce"] += float(ce_sum)
        win["cnt"] += cnt
        win["ctx"] += 0.0 if cce is None else float(cce)
        win["n"] += 1
        win["tok"] += b["tokens"]
        row = None
        if step % a.log_every == 0 or step == a.steps:
            now = time.time()
            row = {"step": step, "tokens": tokens_seen, "lr": lr_at(a, step - 1),
                   "train_loss": win["loss"] / win["n"],
                   "train_masked_ce": win["ce"] / max(1, win["cnt"])}
            if a.context_loss > 0:
                row["train_context_ce"] = win["ctx"] / win["n"]
            tps = win["tok"] / max(1e-9, now - win["t"])
            win = {"loss": 0.0, "ce": 0.0, "ctx": 0.0, "n": 0, "cnt": 0, "tok": 0, "t": now}
        if step % a.eval_every == 0 or step == a.steps:
            row = row or {"step": step, "tokens": tokens_seen, "lr": lr_at(a, step - 1)}
            row["val_loss"], row["val_masked_ce"] = evaluate(fwd, val_batches, device, autocast)
        if row is not None:
            row["seconds"] = round(trained_s + time.time() - run_t0, 1)
            history.append(row)
            log("step %5d  loss %s  masked-ce %s  val %s  lr %.2e  %6.0f tok/s  %.0fs"
                % (step, _f(row.get("train_loss")), _f(row.get("train_masked_ce")),
                   _f(row.get("val_loss")), row["lr"], tps, row["seconds"]))
        if step % a.ckpt_every == 0:
            trained_now = trained_s + time.time() - run_t0
            trained_s, run_t0 = trained_now, time.time()
            save_ckpt()
    pre.close()
    trained_s += time.time() - run_t0
    if not history or history[-1]["step"] != step or "val_loss" not in history[-1]:
        vl, vce = evaluate(fwd, val_batches, device, autocast)
        history.append({"step": step, "tokens": tokens_seen, "lr": lr_at(a, max(0, step - 1)),
                        "val_loss": vl, "val_masked_ce": vce, "seconds": round(trained_s, 1)})
    save_ckpt()
    train_losses = [r["train_loss"] for r in history if r.get("train_loss") is not None]
    hw = (torch.cuda.get_device_name(device) if device.type == "cuda"
          else "%s, %d torch threads" % (cpu_name(), torch.get_num_threads()))
    info = {"title": "infilld FIM (%s%s): %.1fM params, %.1fM tokens"
                     % (a.config, ", autoregressive" if a.autoregressive else "",
                        n_params / 1e6, tokens_seen / 1e6),
            "config": a.config, "autoregressive": a.autoregressive, "params": n_params,
            "steps": step, "stopped_by": stop_reason, "tokens_seen": tokens_seen,
            "train_seconds": round(trained_s, 1), "wall_seconds": round(time.time() - t_start, 1),
            "tokens_per_second": round(tokens_seen / max(1e-9, trained_s)),
            "first_train_loss": first_loss,
            "last_train_loss": train_losses[-1] if train_losses else None,
            "val_loss": history[-1]["val_loss"], "val_masked_ce": history[-1]["val_masked_ce"],
            "hardware": hw, "torch": torch.__version__, "python": platform.python_version(),
            "data": {"folder": os.path.abspath(a.data), "files": data.meta["files"],
                     "tokens": data.meta["tokens"], "val_tokens": data.meta["val_tokens"], "per_language": data.meta.get("per_language"),
                     "val_split": val_split},
            "args": {k: v for k, v in vars(a).items()}}
    cfg_out = ex.export(model, a.out, a.data, a.export_dtype, a.autoregressive, info, history)
    log("done: %d steps, %d tokens in %.0fs (%.0f tok/s); loss %s -> %s, val %s (masked CE %s)"
        "; exported %s (%s)" % (step, tokens_seen, trained_s, info["tokens_per_second"],
                                _f(first_loss), _f(info["last_train_loss"]),
                                _f(info["val_loss"]), _f(info["val_masked_ce"]), a.out,
                                cfg_out["torch_dtype"]))
    return 0


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _f(v):
    return "   -  " if v is None else "%.4f" % v


if __name__ == "__main__":
    sys.exit(main())
