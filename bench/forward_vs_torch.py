#!/usr/bin/env python3
"""infilld's CPU forward pass against PyTorch eager on the same weights, side by side.

Builds a random checkpoint shaped like Open-dCoder-0.5B (Qwen2.5-Coder-0.5B: hidden 896,
24 layers, 14 heads, 2 kv heads, FFN 4864, vocab 151936, tied embeddings) in the given
dtype, then alternates rounds: `infilld bench forward` (one warm-up, then --repeat runs,
median) and the same forward in PyTorch eager (same token ids, same warm-up and repeats),
A, B, A, B... Each round gives a ratio torch/infilld; the result is the median ratio.
Records bench/results/forward_vs_torch_<dtype>.json with the machine it ran on.

With --torch-dtype f32 PyTorch gets the same weights widened to float32 (on a CPU without
AVX-512 BF16, Debian's PyTorch is far slower in BF16 than in float32: issue 21 compares
infilld on the BF16 file with PyTorch at its fastest).

Usage: /usr/bin/python3 bench/forward_vs_torch.py --infilld build/infilld [--dtype bf16|f32]
       [--torch-dtype f32] [--positions 32,512] [--rounds 3] [--repeat 3]
"""
import argparse
import datetime
import json
import os
import platform
import struct
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import tiny_checkpoint  # noqa: E402

OPEN_DCODER_05B = dict(layers=24, hidden=896, heads=14, kv_heads=2, ffn=4864, vocab=151936,
                       rope_theta=1000000.0, eps=1e-6)


def bench_tokens(n, n_vocab):
    """The ids `infilld bench` uses (src/cli/cmd_bench.cpp), so both run the same input."""
    return [(i * 7919 + 13) % min(n_vocab, 100000) for i in range(n)]


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


# ------------------------------------------------------------------------- PyTorch eager

def load_torch_weights(model_dir, torch):
    """{name: torch tensor in its stored dtype}, read straight from the safetensors bytes."""
    path = os.path.join(model_dir, "model.safetensors")
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(data[b:e], dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy())
        out[name] = t.reshape(info["shape"])
    return out


def torch_forward(W, cfg, ids, torch, device="cpu"):
    """Qwen2 eager forward as Hugging Face's modeling code runs it: norms in float32, matmuls
    in the weights' dtype, full (bidirectional) attention, logits [T, V]. (bench/gpu/gpu_bench.py
    runs it on the GPU.)"""
    F = torch.nn.functional
    dtype = W["model.embed_tokens.weight"].dtype
    H, A, K = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = H // A
    T = len(ids)
    eps = cfg["rms_norm_eps"]

    def rmsnorm(x, w):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
        return w * x32.to(dtype)

    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float32, device=device) / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.float32, device=device), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos().to(dtype), emb.sin().to(dtype)

    def rope(x):  # x [heads, T, D]
        x1, x2 = x[..., :D // 2], x[..., D // 2:]
        return x * cos + torch.cat([-x2, x1], dim=-1) * sin

    x = W["model.embed_tokens.weight"][torch.as_tensor(ids, device=device)]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rmsnorm(x, W[p + "input_layernorm.weight"])
        q = F.linear(h, W[p + "self_attn.q_proj.weight"], W[p + "self_attn.q_proj.bias"])
        k = F.linear(h, W[p + "self_attn.k_proj.weight"], W[p + "self_attn.k_proj.bias"])
        v = F.linear(h, W[p + "self_attn.v_proj.weight"], W[p + "self_attn.v_proj.bias"])
        q = rope(q.view(T, A, D).transpose(0, 1))
        k = rope(k.view(T, K, D).transpose(0, 1)).repeat_interleave(A // K, dim=0)
        v = v.view(T, K, D).transpose(0, 1).repeat_interleave(A // K, dim=0)
        scores = torch.matmul(q, k.transpose(1, 2)) / (D ** 0.5)
        probs = torch.softmax(scores.float(), dim=-1).to(dtype)
        o = torch.matmul(probs, v).transpose(0, 1).reshape(T, H)
        x = x + F.linear(o, W[p + "self_attn.o_proj.weight"])
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"])
        g = F.linear(h, W[p + "mlp.gate_proj.weight"])
        u = F.linear(h, W[p + "mlp.up_proj.weight"])
        x = x + F.linear(F.silu(g) * u, W[p + "mlp.down_proj.weight"])
    h = rmsnorm(x, W["model.norm.weight"])
    return F.linear(h, W.get("lm_head.weight", W["model.embed_tokens.weight"])).float()


def time_torch(W, cfg, n, repeat, torch):
    ids = bench_tokens(n, cfg["vocab_size"])
    runs = []
    with torch.inference_mode():
        for r in range(repeat + 1):
            t0 = time.perf_counter()
            torch_forward(W, cfg, ids, torch)
            if r > 0:
                runs.append((time.perf_counter() - t0) * 1000)
    runs.sort()
    return runs[len(runs) // 2]


def time_infilld(binary, model_dir, positions, repeat):
    out = subprocess.run([binary, "bench", "forward", "--model", model_dir, "--positions",
                          ",".join(map(str, positions)), "--repeat", str(repeat)],
                         check=True, capture_output=True, text=True).stdout
    return {r["positions"]: r["median_ms"] for r in map(json.loads, out.splitlines())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--dtype", choices=("bf16", "f32"), default="bf16")
    ap.add_argument("--torch-dtype", choices=("same", "f32"), default="same",
                    help="PyTorch's weights: as stored, or widened to float32")
    ap.add_argument("--positions", default="32,512")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(HERE, "work"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    positions = [int(p) for p in args.positions.split(",")]

    # Debian's PyTorch computes float32 through OpenBLAS, which does not recognise this CPU
    # (family 6 model 207) and falls back to SSE3 kernels (docs/decisions.md). Give it its
    # AVX-512 kernels, so the comparison is against PyTorch at its best here. The variable
    # is read when the library loads, i.e. at `import torch` below.
    if "avx512f" in open("/proc/cpuinfo").read():
        os.environ.setdefault("OPENBLAS_CORETYPE", "Cooperlake")
    import torch
    torch.set_num_threads(os.cpu_count())

    model_dir = os.path.join(args.workdir, "open-dcoder-0.5b-shaped-" + args.dtype)
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        print("writing", model_dir, file=sys.stderr)
        tiny_checkpoint.write_checkpoint(model_dir, "qwen2_mdm", args.dtype, shards=1, seed=5,
                                         **OPEN_DCODER_05B)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    W = load_torch_weights(model_dir, torch)
    if args.torch_dtype == "f32":
        W = {name: t.float() for name, t in W.items()}

    rounds = []
    for r in range(args.rounds):
        ours = time_infilld(args.infilld, model_dir, positions, args.repeat)
        theirs = {n: time_torch(W, cfg, n, args.repeat, torch) for n in positions}
        rounds.append({"infilld_ms": ours, "torch_ms": theirs})
        print("round %d: " % r + ", ".join("T=%d infilld %.1f ms, torch %.1f ms (x%.2f)"
                                             % (n, ours[n], theirs[n], theirs[n] / ours[n])
                                             for n in positions), file=sys.stderr)

    summary = {}
    for n in positions:
        ratios = sorted(rr["torch_ms"][n] / rr["infilld_ms"][n] for rr in rounds)
        summary[str(n)] = {
            "infilld_median_ms": sorted(rr["infilld_ms"][n] for rr in rounds)[len(rounds) // 2],
            "torch_median_ms": sorted(rr["torch_ms"][n] for rr in rounds)[len(rounds) // 2],
            "torch_ms_over_infilld_ms_median": ratios[len(ratios) // 2],
            "torch_ms_over_infilld_ms": ratios,
        }
    result = {
        "benchmark": "forward pass, random Open-dCoder-0.5B-shaped checkpoint",
        "dtype": args.dtype, "torch_dtype": "f32" if args.torch_dtype == "f32" else args.dtype,
        "infilld_isa": os.environ.get("INFILLD_CPU_ISA", "native"), "positions": positions, "rounds": args.rounds, "repeat": args.repeat,
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "torch_env": {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "summary": summary, "raw": rounds,
    }
    out = args.out or os.path.join(HERE, "results", "forward_vs_torch_%s.json" % args.dtype)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
