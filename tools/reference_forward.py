#!/usr/bin/env python3
"""Independent NumPy reference forward pass for Dream, Qwen2 (Open-dCoder) and LLaDA.

Written from the architecture description (docs: shared/reference/dllm-models.md), not
from the C++ engine. Reads config.json and the safetensors file(s) with its own reader,
upcasts every weight to float64 and computes in float64:

    x = embed[tokens]
    per layer: x += o_proj(attention(rope(q), rope(k), v))  on rmsnorm(x, input norm)
               x += down(silu(gate(h)) * up(h))              with h = rmsnorm(x, post norm)
    logits = rmsnorm(x, final norm) @ lm_head.T   (embed.T when tied)

Attention is bidirectional by default (--mask full) or causal; RoPE is the rotate-half
form with positions 0..T-1. The logits are the raw per-position rows (NOT shifted).

    reference_forward.py --model DIR --tokens 1,2,3 --out logits.npy [--mask full|causal]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

_ST_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}


def read_safetensors(path):
    """{name: float64 ndarray} for every tensor of one .safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype("<u4") << 16
            arr = bits.view("<f4")
        else:
            arr = np.frombuffer(raw, dtype=_ST_DTYPES[info["dtype"]])
        out[name] = arr.astype(np.float64).reshape(info["shape"])
    return out


def load_weights(model_dir):
    """All tensors of a checkpoint folder (single file or index + shards)."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for fname in files:
        weights.update(read_safetensors(os.path.join(model_dir, fname)))
    return weights


class Spec:
    """Dimensions and tensor names of one checkpoint, read from its config.json."""

    def __init__(self, cfg):
        mt = str(cfg["model_type"]).lower()
        if mt == "llada":
            self.hidden, self.layers = cfg["d_model"], cfg["n_layers"]
            self.heads = cfg["n_heads"]
            self.kv_heads = cfg.get("n_kv_heads") or self.heads
            self.eps = cfg.get("rms_norm_eps", 1e-5)
            self.theta = cfg.get("rope_theta", 10000.0)
            self.tied = bool(cfg.get("weight_tying", False))
            p = "model.transformer."
            self.embed, self.final_norm, self.lm_head = (p + "wte.weight", p + "ln_f.weight",
                                                         p + "ff_out.weight")
            self.layer_names = lambda i: {
                "norm1": "%sblocks.%d.attn_norm.weight" % (p, i),
                "q": "%sblocks.%d.q_proj" % (p, i), "k": "%sblocks.%d.k_proj" % (p, i),
                "v": "%sblocks.%d.v_proj" % (p, i), "o": "%sblocks.%d.attn_out" % (p, i),
                "norm2": "%sblocks.%d.ff_norm.weight" % (p, i),
                "gate": "%sblocks.%d.ff_proj" % (p, i), "up": "%sblocks.%d.up_proj" % (p, i),
                "down": "%sblocks.%d.ff_out" % (p, i)}
        elif mt in ("dream", "qwen2"):
            self.hidden, self.layers = cfg["hidden_size"], cfg["num_hidden_layers"]
            self.heads = cfg["num_attention_heads"]
            self.kv_heads = cfg.get("num_key_value_heads") or self.heads
            self.eps = cfg.get("rms_norm_eps", 1e-6)
            self.theta = cfg.get("rope_theta", 10000.0)
            self.tied = bool(cfg.get("tie_word_embeddings", False))
            self.embed, self.final_norm, self.lm_head = ("model.embed_tokens.weight",
                                                         "model.norm.weight", "lm_head.weight")
            self.layer_names = lambda i: {
                "norm1": "model.layers.%d.input_layernorm.weight" % i,
                "q": "model.layers.%d.self_attn.q_proj" % i,
                "k": "model.layers.%d.self_attn.k_proj" % i,
                "v": "model.layers.%d.self_attn.v_proj" % i,
                "o": "model.layers.%d.self_attn.o_proj" % i,
                "norm2": "model.layers.%d.post_attention_layernorm.weight" % i,
                "gate": "model.layers.%d.mlp.gate_proj" % i,
                "up": "model.layers.%d.mlp.up_proj" % i,
                "down": "model.layers.%d.mlp.down_proj" % i}
        else:
            raise ValueError("unknown model_type %r" % cfg["model_type"])
        self.head_dim = self.hidden // self.heads


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def linear(W, prefix, x):
    """x @ W[prefix.weight].T (+ W[prefix.bias] when the checkpoint has one)."""
    y = x @ W[prefix + ".weight"].T
    bias = W.get(prefix + ".bias")
    return y if bias is None else y + bias


def rope(x, theta):
    """Rotate-half RoPE on x [heads, T, D] with positions 0..T-1."""
    _, T, D = x.shape
    inv_freq = theta ** (-(np.arange(0, D // 2, dtype=np.float64) * 2.0 / D))
    angles = np.outer(np.arange(T, dtype=np.float64), inv_freq)  # [T, D/2]
    angles = np.concatenate([angles, angles], axis=-1)            # [T, D]
    half = D // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * np.cos(angles) + rotated * np.sin(angles)


def attention(q, k, v, heads, kv_heads, mask):
    """Grouped-query attention; q [A, T, D], k/v [K, T, D] -> [T, A*D]."""
    _, T, D = q.shape
    group = heads // kv_heads
    out = np.empty_like(q)
    for h in range(heads):
        kv = h // group
        scores = q[h] @ k[kv].T / np.sqrt(D)  # [T, T]
        if mask == "causal":
            scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
        scores = scores - scores.max(axis=-1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=-1, keepdims=True)
        out[h] = p @ v[kv]
    return out.transpose(1, 0, 2).reshape(T, heads * D)


def silu(x):
    return x / (1.0 + np.exp(-x))


def forward(model_dir, tokens, mask="full", weights=None):
    """float64 logits [T, vocab] of one sequence of token ids."""
    with open(os.path.join(model_dir, "config.json")) as f:
        spec = Spec(json.load(f))
    W = load_weights(model_dir) if weights is None else weights
    A, K, D, T = spec.heads, spec.kv_heads, spec.head_dim, len(tokens)
    x = W[spec.embed][np.asarray(tokens, dtype=np.int64)]
    for i in range(spec.layers):
        n = spec.layer_names(i)
        h = rmsnorm(x, W[n["norm1"]], spec.eps)
        q = linear(W, n["q"], h).reshape(T, A, D).transpose(1, 0, 2)
        k = linear(W, n["k"], h).reshape(T, K, D).transpose(1, 0, 2)
        v = linear(W, n["v"], h).reshape(T, K, D).transpose(1, 0, 2)
        q, k = rope(q, spec.theta), rope(k, spec.theta)
        x = x + linear(W, n["o"], attention(q, k, v, A, K, mask))
        h = rmsnorm(x, W[n["norm2"]], spec.eps)
        x = x + linear(W, n["down"], silu(linear(W, n["gate"], h)) * linear(W, n["up"], h))
    h = rmsnorm(x, W[spec.final_norm], spec.eps)
    head = W[spec.embed] if spec.tied else W[spec.lm_head]
    return h @ head.T


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--tokens", required=True, help="comma-separated token ids")
    p.add_argument("--out", required=True, help="output .npy (float32 [T, vocab])")
    p.add_argument("--mask", choices=("full", "causal"), default="full")
    a = p.parse_args(argv)
    tokens = [int(t) for t in a.tokens.replace(" ", "").split(",") if t]
    logits = forward(a.model, tokens, a.mask)
    np.save(a.out, logits.astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
