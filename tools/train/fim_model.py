#!/usr/bin/env python3
"""The infilld FIM network in PyTorch (training), its attention masks, a reference
block-by-block denoiser, and the reference forward command.

Layers are those of the Qwen2 family: token embedding; per layer a pre-norm RMSNorm,
self-attention with rotate-half RoPE (theta from the config), grouped-query attention and
biases on q/k/v (none on o), a second RMSNorm and a SwiGLU MLP (down(silu(gate(x)) *
up(x)), no biases); a final RMSNorm and the LM head (tied to the embedding or not:
config "tie_word_embeddings"). Module names follow the Qwen2 tensor names, so
state_dict() keys are model.embed_tokens.weight, model.layers.N.input_layernorm.weight,
model.layers.N.self_attn.{q,k,v}_proj.{weight,bias}, model.layers.N.self_attn.o_proj.weight,
model.layers.N.post_attention_layernorm.weight, model.layers.N.mlp.{gate,up,down}_proj.weight,
model.norm.weight and (untied only) lm_head.weight.

Attention masks come from three per-position descriptors (build_mask):
  stream  0 context, 1 block (clean: committed or being decoded), 2 noisy block
          (training only: a second copy of the middle's blocks), 3 padding
  blk     the block index of a block position (0 for context and padding)
  pos     the RoPE position (context: its index; a block position: C + b*L + k; the noisy
          copy of a block reuses the positions of its clean twin)
Row q sees column k iff
  k context:  q context and pos_k <= pos_q (causal), or q is any block position
  k block:    q block with blk_k <= blk_q, or q noisy with blk_k < blk_q
  k noisy:    q noisy with blk_k == blk_q
  k padding:  k == q only (keeps softmax finite; nothing else sees padding)
With streams 0 and 1 only (inference: context then blocks) this is exactly the rule of
fim_reference.fim_mask: j <= end(i). In training a noisy block b sees the context, the
clean blocks before b and itself, which is what a block being decoded sees at inference.

    fim_model.py --logits FOLDER --tokens 1,2,3 --context-length N --out logits.npy
        the NumPy float64 reference forward (fim_reference.py) of an exported folder
    fim_model.py --torch-logits ...   the same through this PyTorch model (float32)
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fim_reference  # noqa: E402

CTX, BLOCK, NOISY, PAD = 0, 1, 2, 3
CONFIG_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
               "num_key_value_heads", "intermediate_size", "rope_theta", "rms_norm_eps",
               "max_position_embeddings", "block_length", "tie_word_embeddings")


def param_count(c):
    """Parameters of a config dict (tied embedding counted once)."""
    H, F_, V, L = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["num_hidden_layers"]
    D = H // c["num_attention_heads"]
    qkv = H * (c["num_attention_heads"] * D) + 2 * H * (c["num_key_value_heads"] * D)
    qkv += (c["num_attention_heads"] + 2 * c["num_key_value_heads"]) * D
    layer = qkv + c["num_attention_heads"] * D * H + 3 * H * F_ + 2 * H
    return V * H * (1 if c["tie_word_embeddings"] else 2) + L * layer + H


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


def rope_cos_sin(pos, head_dim, theta):
    """cos, sin [B, 1, T, D] (float32) for integer positions pos [B, T]."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=pos.device,
                                        dtype=torch.float32) / head_dim))
    ang = pos.float()[..., None] * inv
    ang = torch.cat([ang, ang], dim=-1)[:, None]
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x.float() * cos + rot.float() * sin).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.A, self.K = c["num_attention_heads"], c["num_key_value_heads"]
        self.D = H // self.A
        self.q_proj = nn.Linear(H, self.A * self.D, bias=True)
        self.k_proj = nn.Linear(H, self.K * self.D, bias=True)
        self.v_proj = nn.Linear(H, self.K * self.D, bias=True)
        self.o_proj = nn.Linear(self.A * self.D, H, bias=False)

    def forward(self, x, cos, sin, mask):
        """mask: the boolean [B, 1, T, T] mask, or a dict {"mask": it} in which the
        additive bias of the explicit path is cached per dtype."""
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.A, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.K, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.K, self.D).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if self.K != self.A:
            k = k.repeat_interleave(self.A // self.K, dim=1)
            v = v.repeat_interleave(self.A // self.K, dim=1)
        cache = mask if isinstance(mask, dict) else {"mask": mask}
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2.x
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=cache["mask"])
        else:  # 1.13: explicit, in the compute dtype (bf16 softmax kernels accumulate in f32)
            s = torch.matmul(q * (1.0 / math.sqrt(self.D)), k.transpose(-1, -2))
            bias = cache.get(s.dtype)
            if bias is None:
                bias = torch.zeros(cache["mask"].shape, dtype=s.dtype, device=s.device)
                bias = cache[s.dtype] = bias.masked_fill_(~cache["mask"], float("-inf"))
            y = torch.matmul(torch.softmax(s + bias, dim=-1), v)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.A * self.D))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(H, I, bias=False)
        self.up_proj = nn.Linear(H, I, bias=False)
        self.down_proj = nn.Linear(I, H, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class FimModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        missing = [k for k in CONFIG_KEYS if k not in config]
        if missing:
            raise ValueError("config lacks %s" % ", ".join(missing))
        if config["hidden_size"] % config["num_attention_heads"] or \
                config["num_attention_heads"] % config["num_key_value_heads"]:
            raise ValueError("hidden_size, heads and kv heads must divide evenly")
        self.config = dict(config)
        self.model = Backbone(config)
        if not config["tie_word_embeddings"]:
            self.lm_head = nn.Linear(config["hidden_size"], config["vocab_size"], bias=False)
        self.head_dim = config["hidden_size"] // config["num_attention_heads"]
        self.reset_parameters()

    def reset_parameters(self, std=0.02):
        n_layers = self.config["num_hidden_layers"]
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, std=std / math.sqrt(2 * n_layers))
            else:
                nn.init.normal_(p, std=std)

    def head_weight(self):
        return self.model.embed_tokens.weight if self.config["tie_word_embeddings"] \
            else self.lm_head.weight

    def hidden(self, ids, pos, mask):
        """Final-normed hidden states [B, T, H]."""
        x = self.model.embed_tokens(ids)
        cos, sin = rope_cos_sin(pos, self.head_dim, self.config["rope_theta"])
        cache = {"mask": mask}
        for layer in self.model.layers:
            x = layer(x, cos, sin, cache)
        return self.model.norm(x)

    def forward(self, ids, pos, mask, rows=None):
        """Logits [B, T, V], or [N, V] for rows (a LongTensor of flat b*T+t indices)."""
        h = self.hidden(ids, pos, mask)
        if rows is not None:
            h = h.reshape(-1, h.shape[-1]).index_select(0, rows)
        return F.linear(h, self.head_weight())


def build_mask(stream, blk, pos):
    """Boolean attention mask [B, 1, T, T] (True = may attend) from [B, T] descriptors."""
    sq, sk = stream[:, :, None], stream[:, None, :]
    bq, bk = blk[:, :, None], blk[:, None, :]
    q_block = (sq == BLOCK) | (sq == NOISY)
    ctx = (sk == CTX) & (((sq == CTX) & (pos[:, None, :] <= pos[:, :, None])) | q_block)
    clean = (sk == BLOCK) & (((sq == BLOCK) & (bk <= bq)) | ((sq == NOISY) & (bk < bq)))
    noisy = (sk == NOISY) & (sq == NOISY) & (bk == bq)
    T = stream.shape[1]
    eye = torch.eye(T, dtype=torch.bool, device=stream.device)[None]
    pad = (sq == PAD) & eye
    return (ctx | clean | noisy | pad)[:, None]


def inference_descriptors(T, context_length, block_length, device="cpu"):
    """stream, blk, pos [1, T] of the inference layout: context then blocks."""
    i = torch.arange(T, device=device)
    C = int(context_length)
    stream = torch.where(i < C, torch.full_like(i, CTX), torch.full_like(i, BLOCK))
    blk = torch.where(i < C, torch.zeros_like(i), (i - C) // int(block_length))
    return stream[None], blk[None], i[None]


def sequence_logits(model, tokens, context_length, block_length=None):
    """float32 logits [T, V] of one sequence (inference layout) through the torch model."""
    L = block_length or model.config["block_length"]
    dev = model.head_weight().device
    ids = torch.as_tensor(list(tokens), dtype=torch.long, device=dev)[None]
    stream, blk, pos = inference_descriptors(ids.shape[1], context_length, L, dev)
    with torch.no_grad():
        return model(ids, pos, build_mask(stream, blk, pos))[0].float()


def load_exported(folder, device="cpu"):
    """FimModel (float32) with the weights of an exported folder."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    model = FimModel({k: cfg[k] for k in CONFIG_KEYS})
    weights = fim_reference.load_weights(folder)
    state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in weights.items()}
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), cfg


def denoise(model, cfg, prefix_ids, suffix_ids, max_blocks=8, steps=None, block_length=None):
    """Reference decoder: the middle's token ids, block by block.

    Layout <|suffix|> S <|prefix|> P <|middle|>, then blocks of L <|mask|>. Each block
    runs `steps` forward passes (default L); each pass unmasks the still-masked
    positions with the highest top-1 probability, ceil(masked / passes left) of them, with
    their argmax token. A finished block is kept as it was decoded (clean) and the next
    block is appended. The first <|eom|> ends the middle: tokens after it in its block are
    dropped and no further block is decoded."""
    L = block_length or cfg["block_length"]
    steps = steps or L
    ctx = ([cfg["suffix_token_id"]] + list(suffix_ids) + [cfg["prefix_token_id"]]
           + list(prefix_ids) + [cfg["middle_token_id"]])
    mask_id, eom = cfg["mask_token_id"], cfg["eom_token_id"]
    out = []
    for _ in range(max_blocks):
        block = [mask_id] * L
        for s in range(steps):
            masked = [k for k in range(L) if block[k] == mask_id]
            if not masked:
                break
            logits = sequence_logits(model, ctx + out + block, len(ctx), L)[-L:]
            prob = torch.softmax(logits, dim=-1)
            conf, tok = prob.max(dim=-1)
            n = math.ceil(len(masked) / (steps - s))
            for k in sorted(masked, key=lambda k: -float(conf[k]))[:n]:
                block[k] = int(tok[k])
        if eom in block:
            return out + block[:block.index(eom)]
        out += block
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--logits", metavar="FOLDER", help="NumPy float64 reference forward")
    g.add_argument("--torch-logits", metavar="FOLDER", help="the same through PyTorch (f32)")
    fim_reference.add_sequence_args(ap)
    a = ap.parse_args(argv)
    if a.logits:
        logits = fim_reference.forward(a.logits, a.tokens, a.context_length, a.block_length)
    else:
        model, _ = load_exported(a.torch_logits)
        logits = sequence_logits(model, a.tokens, a.context_length, a.block_length).numpy()
    np.save(a.out, np.asarray(logits, dtype=np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
