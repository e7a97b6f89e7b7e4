#!/usr/bin/env python3
"""A random checkpoint with a real model's exact shape, written fast with PyTorch.

Reads config.json (and model.safetensors.index.json, if there, for the real shard layout)
from --like, draws every tensor of the Dream/Qwen2 layout in BF16 on --device (the GPU makes
7.6B normals in a second; numpy would take minutes), and writes a Hugging Face folder that
`infilld --model` loads. Norm weights are near 1, matrices ~ N(0, 1/fan_in).

Usage: python3 bench/gpu/random_checkpoint.py --like DIR --out DIR [--device cuda] [--seed 0]
"""
import argparse
import json
import os
import shutil

import torch


def save_file(tensors, path):
    """A safetensors file of BF16 tensors (the format is a JSON header and the raw bytes)."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)


def tensor_shapes(cfg):
    H, V, F, L = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    A, K = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = H // A
    shapes = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,)}
    if not cfg.get("tie_word_embeddings", False):
        shapes["lm_head.weight"] = (V, H)
    for l in range(L):
        p = "model.layers.%d." % l
        shapes.update({
            p + "input_layernorm.weight": (H,), p + "post_attention_layernorm.weight": (H,),
            p + "self_attn.q_proj.weight": (A * D, H), p + "self_attn.q_proj.bias": (A * D,),
            p + "self_attn.k_proj.weight": (K * D, H), p + "self_attn.k_proj.bias": (K * D,),
            p + "self_attn.v_proj.weight": (K * D, H), p + "self_attn.v_proj.bias": (K * D,),
            p + "self_attn.o_proj.weight": (H, A * D),
            p + "mlp.gate_proj.weight": (F, H), p + "mlp.up_proj.weight": (F, H), p + "mlp.down_proj.weight": (H, F),
        })
    return shapes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--like", required=True, help="a folder with the real config.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open(os.path.join(args.like, "config.json")) as f:
        cfg = json.load(f)
    shapes = tensor_shapes(cfg)
    index_path = os.path.join(args.like, "model.safetensors.index.json")
    weight_map = None
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        missing = set(shapes) - set(weight_map)
        if missing:
            raise SystemExit("the index lacks %d of the tensors, e.g. %s" % (len(missing), sorted(missing)[0]))
    os.makedirs(args.out, exist_ok=True)
    for name in ("config.json", "generation_config.json"):
        if os.path.exists(os.path.join(args.like, name)):
            shutil.copy(os.path.join(args.like, name), os.path.join(args.out, name))
    gen = torch.Generator(device=args.device).manual_seed(args.seed)
    files = sorted(set(weight_map[n] for n in shapes)) if weight_map else ["model.safetensors"]
    total = 0
    for file in files:
        tensors = {}
        for name, shape in shapes.items():
            if weight_map and weight_map[name] != file:
                continue
            t = torch.randn(shape, generator=gen, device=args.device, dtype=torch.float32)
            t = 1.0 + 0.05 * t if name.endswith("norm.weight") else t / (shape[-1] ** 0.5 if len(shape) == 2 else 10.0)
            tensors[name] = t.to(torch.bfloat16).cpu()
            total += t.numel() * 2
        save_file(tensors, os.path.join(args.out, file))
    if weight_map:
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": {n: weight_map[n] for n in shapes}}, f)
    print(json.dumps({"out": args.out, "tensors": len(shapes), "bytes": total, "files": len(files)}))


if __name__ == "__main__":
    main()
