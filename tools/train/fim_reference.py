#!/usr/bin/env python3
"""NumPy reference forward of an exported infilld FIM model (model_type "infilld_fim").

Independent of the PyTorch training code (fim_model.py): reads config.json and
model.safetensors of an exported folder, upcasts every weight to float64, and computes
the logits of one sequence under the infilld FIM attention mask, in float64:

    x = embed[tokens]
    per layer: x += o_proj(attention(rope(q), rope(k), v, FIM mask))  on rmsnorm(x, input norm)
               x += down(silu(gate(h)) * up(h))                     with h = rmsnorm(x, post norm)
    logits = rmsnorm(x, final norm) @ lm_head.T   (embed_tokens.T when tied)

q/k/v projections have biases (Qwen2); o/gate/up/down have none. RoPE is rotate-half with
positions 0..T-1 (the position of a token is its index in the sequence). GQA: query head
h reads key/value head h // (heads / kv_heads).

The FIM mask (fim_mask below; the C++ engine implements the same rule): with C the
context length (every token up to and including <|middle|>) and L the block length,
position i may attend to position j iff j <= end(i), where end(i) = i for a context
position (i < C) and end(i) = C + (b + 1) * L - 1 for a position of block b =
(i - C) // L. So context rows are causal, and a block row sees the whole context, every
earlier block and all of its own block, never a later block. The last block may be
partial (the sequence may end inside it). No logit shift: row i predicts token i.

    fim_reference.py --logits FOLDER --tokens 1,2,3 --context-length N [--block-length L]
                     --out logits.npy
writes float32 [T, vocab]. (fim_model.py --logits ... is the same command.)
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from reference_forward import load_weights  # noqa: E402  (own safetensors reader, BF16 too)


def fim_mask(T, context_length, block_length):
    """Boolean [T, T]: mask[i, j] is True when row i may attend to column j."""
    C, L = int(context_length), int(block_length)
    if not 0 <= C <= T:
        raise ValueError("context length %d outside 0..%d" % (C, T))
    if L < 1:
        raise ValueError("block length must be >= 1")
    i = np.arange(T)
    end = np.where(i < C, i, C + ((i - C) // L + 1) * L - 1)
    return np.arange(T)[None, :] <= end[:, None]


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, theta):
    """Rotate-half RoPE on x [heads, T, D], positions 0..T-1."""
    _, T, D = x.shape
    inv = theta ** (-(np.arange(0, D, 2, dtype=np.float64) / D))
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    ang = np.concatenate([ang, ang], axis=-1)
    half = D // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * np.cos(ang) + rot * np.sin(ang)


def forward(folder, tokens, context_length, block_length=None, weights=None):
    """float64 logits [T, vocab] of one sequence under the FIM mask."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "infilld_fim":
        raise ValueError("%s: model_type %r is not infilld_fim" % (folder, cfg.get("model_type")))
    W = load_weights(folder) if weights is None else weights
    H, A = cfg["hidden_size"], cfg["num_attention_heads"]
    K, D = cfg["num_key_value_heads"], cfg["hidden_size"] // cfg["num_attention_heads"]
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    L = cfg["block_length"] if block_length is None else block_length
    tokens = np.asarray(tokens, dtype=np.int64)
    T = len(tokens)
    mask = fim_mask(T, context_length, L)
    x = W["model.embed_tokens.weight"][tokens]
    for n in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % n
        h = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        proj = {}
        for name, heads in (("q", A), ("k", K), ("v", K)):
            w = p + "self_attn.%s_proj." % name
            y = h @ W[w + "weight"].T + W[w + "bias"]
            proj[name] = y.reshape(T, heads, D).transpose(1, 0, 2)
        q, k, v = rope(proj["q"], theta), rope(proj["k"], theta), proj["v"]
        out = np.empty((A, T, D))
        for a in range(A):
            kv = a // (A // K)
            s = q[a] @ k[kv].T / np.sqrt(D)
            s = np.where(mask, s, -np.inf)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            out[a] = (s / s.sum(axis=-1, keepdims=True)) @ v[kv]
        x = x + out.transpose(1, 0, 2).reshape(T, A * D) @ W[p + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ W[p + "mlp.down_proj.weight"].T
    h = rmsnorm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    assert h.shape[-1] == H
    return h @ head.T


def add_sequence_args(ap):
    """The sequence flags of the logits commands (here and fim_model.py --torch-logits)."""
    ap.add_argument("--tokens", required=True, type=token_list, help="comma-separated token ids")
    ap.add_argument("--context-length", type=int, required=True,
                    help="tokens up to and including <|middle|>")
    ap.add_argument("--block-length", type=int, help="default: config.json block_length")
    ap.add_argument("--out", required=True, help="output .npy (float32 [T, vocab])")


def token_list(text):
    return [int(t) for t in text.replace(" ", "").split(",") if t]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logits", required=True, metavar="FOLDER", help="exported model folder")
    add_sequence_args(ap)
    a = ap.parse_args(argv)
    logits = forward(a.logits, a.tokens, a.context_length, a.block_length)
    np.save(a.out, logits.astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
