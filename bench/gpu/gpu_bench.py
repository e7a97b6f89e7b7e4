#!/usr/bin/env python3
"""infilld on the GPU against the hardware's limits and against PyTorch eager, side by side.

On one checkpoint (bench/gpu/random_checkpoint.py writes one of Dream-Coder-7B's shape):
  - the ceilings, measured: device-to-device copy bandwidth and the BF16 matmul rate;
  - forwards at --positions: `infilld bench forward --device cuda`, the HBM bound (weight
    bytes / measured bandwidth), the same forward's matmuls alone through cuBLAS (torch's
    F.linear on the same weights), and the whole forward in PyTorch eager;
  - a 32-token infill after --context tokens: `infilld complete --device cuda` per cache
    mode and step count, and the same denoising algorithm (Dream: shifted logits, entropy
    policy, timestep schedule, temperature 0, stop at an end-of-text) in PyTorch eager on the
    same weights, side by side (A, B, A, B), as ratios of medians, with the tokens compared.
Records everything with the machine in --out (JSON).

Usage: python3 bench/gpu/gpu_bench.py --infilld BIN --model DIR --out FILE
       [--device cuda] [--positions 32,256,2048] [--context 2048] [--rounds 3]
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import forward_vs_torch  # noqa: E402  (the eager forward, shared with the CPU comparison)
import reference_denoise  # noqa: E402  (the schedules' arithmetic)

F = torch.nn.functional


def load_weights(model_dir, device):
    """{name: tensor} on the device, from model.safetensors or the shards of its index."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for name in files:
        with open(os.path.join(model_dir, name), "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
            data = f.read()
        for key, info in header.items():
            if key == "__metadata__":
                continue
            b, e = info["data_offsets"]
            dt = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}[info["dtype"]]
            raw = torch.frombuffer(bytearray(data[b:e]), dtype=torch.uint8)
            out[key] = raw.view(dt).reshape(info["shape"]).to(device)
        del data
    return out


class Eager:
    """The Dream/Qwen2 forward as Hugging Face's modeling code runs it in eager mode: norms
    in float32, matmuls in the weights' dtype, full attention, logits for every row."""

    def __init__(self, W, cfg, device):
        self.W, self.cfg, self.device = W, cfg, device
        self.dtype = W["model.embed_tokens.weight"].dtype

    def __call__(self, ids):
        return forward_vs_torch.torch_forward(self.W, self.cfg, ids, torch, self.device)

    def matmuls_only(self, T, head_rows=None):
        """The forward's matrix products alone (cuBLAS through F.linear), same weights; the LM
        head on head_rows rows (all T by default)."""
        W, cfg = self.W, self.cfg
        H, F_ = cfg["hidden_size"], cfg["intermediate_size"]
        h = torch.randn(T, H, device=self.device, dtype=self.dtype)
        a = torch.randn(T, F_, device=self.device, dtype=self.dtype)
        for l in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % l
            for name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
                F.linear(h, W[p + name + ".weight"])
            F.linear(h[:, : W[p + "self_attn.o_proj.weight"].shape[1]], W[p + "self_attn.o_proj.weight"])
            F.linear(a, W[p + "mlp.down_proj.weight"])
        F.linear(h[: head_rows or T], W.get("lm_head.weight", W["model.embed_tokens.weight"]))


def timed(fn, device, repeat):
    """Median milliseconds of fn() over repeat runs after one warm-up."""
    runs = []
    for r in range(repeat + 1):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        if r > 0:
            runs.append((time.perf_counter() - t0) * 1000)
    return sorted(runs)[len(runs) // 2]


def ceilings(device):
    if device != "cuda":
        return {}
    x = torch.empty(1 << 30, dtype=torch.uint8, device=device)  # 1 GiB
    y = torch.empty_like(x)
    copy_ms = timed(lambda: y.copy_(x), device, 10)
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    mm_ms = timed(lambda: a @ a, device, 10)
    return {"copy_gb_per_s": 2 * (1 << 30) / copy_ms / 1e6, "bf16_tflops": 2 * 8192 ** 3 / mm_ms / 1e9}


def eager_infill(model, cfg, prefix, suffix, n_masks, steps, device, eps=1e-3):
    """Dream's denoising loop (infilld's defaults for the family), temperature 0: canvas
    [bos] prefix masks suffix [eos], row p-1 predicts p, entropy scores, timestep counts."""
    mask, bos, eos = cfg["mask_token_id"], cfg.get("bos_token_id"), cfg.get("eos_token_id")
    stop = {t for t in (cfg.get("eos_token_id"), cfg.get("pad_token_id")) if t is not None}
    canvas = ([bos] if bos is not None else []) + prefix
    begin = len(canvas)
    canvas += [mask] * n_masks + suffix + ([eos] if eos is not None else [])
    ids = torch.tensor(canvas, device=device)
    forwards = 0
    for j in range(steps):
        masked = (ids[begin:begin + n_masks] == mask).nonzero().flatten() + begin
        if masked.numel() == 0:
            break
        logits = model(ids)[masked - 1]
        forwards += 1
        logits[:, mask] = -float("inf")
        logp = torch.log_softmax(logits.double(), dim=-1)
        x0 = logits.argmax(dim=-1)
        score = (logp.exp() * logp).nan_to_num(0.0).sum(-1)  # sum p log p
        order = torch.sort(score, descending=True, stable=True).indices
        k = reference_denoise.count_timestep(j, steps, eps, masked.numel())
        ids[masked[order[:k]]] = x0[order[:k]]
        span = ids[begin:begin + n_masks].tolist()
        final = span[: span.index(mask)] if mask in span else span
        if any(t in stop for t in final):
            break
    span = ids[begin:begin + n_masks].tolist()
    out = []
    for t in span:
        if t == mask or t in stop:
            break
        out.append(t)
    return out, forwards


def run_infilld(args, cmd, env=None):
    out = subprocess.run([args.infilld] + cmd, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, **(env or {})))
    if out.returncode != 0:
        raise SystemExit("infilld failed: " + out.stderr.strip())
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda", help="PyTorch's device")
    ap.add_argument("--infilld-device", help="infilld's --device (default: --device)")
    ap.add_argument("--scored", type=int, default=32, help="rows a denoising step scores (bench --scored)")
    ap.add_argument("--positions", default="32,256,2048")
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    dev = args.device
    idev = args.infilld_device or dev
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    t0 = time.time()
    W = load_weights(args.model, dev)
    weight_bytes = sum(t.numel() * t.element_size() for t in W.values())
    model = Eager(W, cfg, dev)
    result = {
        "benchmark": "infilld --device %s against the hardware and PyTorch eager" % dev,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"gpu": torch.cuda.get_device_name() if dev == "cuda" else None, "cpu_cores": os.cpu_count(),
                    "platform": platform.platform(), "torch": torch.__version__},
        "model": {"dir": args.model, "layers": cfg["num_hidden_layers"], "hidden": cfg["hidden_size"],
                  "vocab": cfg["vocab_size"], "weight_bytes": weight_bytes, "load_s": time.time() - t0},
        "ceilings": ceilings(dev),
    }
    def save():  # after each part, so that a run cut short still leaves its figures
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)

    save()
    bw = result["ceilings"].get("copy_gb_per_s")
    print(json.dumps(result["ceilings"]), file=sys.stderr)

    positions = [int(p) for p in args.positions.split(",")]
    rounds = {n: [] for n in positions}
    for _ in range(args.rounds):  # infilld (every position count in one call: one model load), then torch
        common = ["bench", "forward", "--model", args.model, "--device", idev, "--positions", args.positions,
                  "--repeat", str(args.repeat)]
        ours = {r["positions"]: r["median_ms"] for r in map(json.loads, run_infilld(args, common).splitlines())}
        step = {r["positions"]: r["median_ms"] for r in map(json.loads, run_infilld(
            args, common + ["--scored", str(args.scored)]).splitlines())}
        for n in positions:
            ids = torch.tensor([(i * 7919 + 13) % min(cfg["vocab_size"], 100000) for i in range(n)], device=dev)
            with torch.inference_mode():
                eager = timed(lambda: model(ids), dev, args.repeat)
                mm = timed(lambda: model.matmuls_only(n), dev, args.repeat)
                mm_step = timed(lambda: model.matmuls_only(n, args.scored), dev, args.repeat)
            rounds[n].append({"infilld_ms": ours[n], "infilld_step_ms": step[n], "torch_eager_ms": eager,
                              "cublas_matmuls_ms": mm, "cublas_step_matmuls_ms": mm_step})
    forwards = {}
    for n in positions:
        rs = rounds[n]
        med = lambda k: sorted(r[k] for r in rs)[len(rs) // 2]
        forwards[str(n)] = {
            "infilld_ms": med("infilld_ms"), "torch_eager_ms": med("torch_eager_ms"),
            "cublas_matmuls_ms": med("cublas_matmuls_ms"),
            # A denoising step: LM head and scoring on the last --scored rows, only tokens back.
            "infilld_step_ms": med("infilld_step_ms"), "cublas_step_matmuls_ms": med("cublas_step_matmuls_ms"),
            "hbm_bound_ms": weight_bytes / bw / 1e6 if bw else None,
            "torch_over_infilld": sorted(r["torch_eager_ms"] / r["infilld_ms"] for r in rs)[len(rs) // 2],
            "infilld_over_cublas_matmuls": med("infilld_ms") / med("cublas_matmuls_ms"),
            "infilld_step_over_cublas_step_matmuls": med("infilld_step_ms") / med("cublas_step_matmuls_ms"),
            "infilld_step_over_hbm_bound": med("infilld_step_ms") / (weight_bytes / bw / 1e6) if bw else None,
            "rounds": rs}
        print("forward T=%d: %s" % (n, json.dumps({k: v for k, v in forwards[str(n)].items() if k != "rounds"})),
              file=sys.stderr)
    result["forward"] = forwards
    save()

    plain = min(cfg["vocab_size"] - 16, 100000)  # ids clear of the special tokens at the end
    prefix = [(i * 7919 + 13) % plain for i in range(args.context)]
    suffix = [(i * 104729 + 7) % plain for i in range(8)]
    ids_text = lambda v: ",".join(map(str, v))
    infills = result["infill"] = []
    # (steps, cache, CUDA graphs, attention through cuBLAS from this many rows; None: default)
    configs = [(32, "none", True, None), (32, "dual", True, None), (32, "dual", False, None), (32, "dual", True, 1),
               (8, "none", True, None), (8, "dual", True, None)]
    for steps, cache, graphs, long_rows in configs:
        base = ["complete", "--model", args.model, "--device", idev, "--prefix-ids", ids_text(prefix),
                "--suffix-ids", ids_text(suffix), "--max-tokens", "32", "--steps", str(steps), "--alg", "entropy",
                "--schedule", "timestep", "--cache", cache, "--json", "--repeat", str(args.repeat)]
        rounds = []
        for _ in range(args.rounds):
            env = {} if graphs else {"INFILLD_CUDA_GRAPHS": "0"}
            if long_rows is not None:
                env["INFILLD_CUDA_LONG_ATTENTION_ROWS"] = str(long_rows)
            out = json.loads(run_infilld(args, base, env))
            ours = sorted(out["run_ms"][1:] or out["run_ms"])[len(out["run_ms"][1:] or out["run_ms"]) // 2]
            row = {"infilld_ms": ours, "forwards": out["stats"]["forwards"], "tokens": out["tokens"]}
            if cache == "none":  # the same algorithm in eager PyTorch (no cache: as the reference runs)
                with torch.inference_mode():
                    tokens, n_fw = eager_infill(model, cfg, prefix, suffix, 32, steps, dev)
                    row["torch_eager_ms"] = timed(lambda: eager_infill(model, cfg, prefix, suffix, 32, steps, dev),
                                                  dev, 1)
                row["torch_forwards"] = n_fw
                row["tokens_agree"] = sum(a == b for a, b in zip(tokens, out["tokens"])) / max(1, len(tokens))
            rounds.append(row)
        r0 = rounds[0]
        entry = {"steps": steps, "cache": cache, "cuda_graphs": graphs, "long_attention_rows": long_rows or 64,
                 "context": args.context, "masks": 32,
                 "infilld_ms": sorted(r["infilld_ms"] for r in rounds)[len(rounds) // 2],
                 "forwards": r0["forwards"], "rounds": rounds}
        entry["tokens_per_s"] = 32 * 1000.0 / entry["infilld_ms"]
        if cache == "none":
            entry["torch_eager_ms"] = sorted(r["torch_eager_ms"] for r in rounds)[len(rounds) // 2]
            entry["torch_over_infilld"] = sorted(r["torch_eager_ms"] / r["infilld_ms"] for r in rounds)[len(rounds) // 2]
            entry["tokens_agree"] = r0["tokens_agree"]
        infills.append(entry)
        save()
        print("infill steps=%d cache=%s graphs=%s long_rows=%s: %s" % (steps, cache, graphs, long_rows, json.dumps(
            {k: v for k, v in entry.items() if k != "rounds"})), file=sys.stderr)
    save()


if __name__ == "__main__":
    main()
