#!/usr/bin/env python3
"""Export a trained infilld FIM model as a Hugging Face-style folder, and its loss curve.

    <out>/config.json            model_type "infilld_fim", every hyper-parameter, the
                                 special token ids and the format's conventions
    <out>/tokenizer.json         the BPE tokenizer (tools/train/tokenizer.py)
    <out>/tokenizer_config.json
    <out>/model.safetensors      Qwen2 tensor names (FimModel.state_dict(); no
                                 lm_head.weight when tie_word_embeddings), BF16 or F32
    <out>/loss.csv, loss.svg     the loss curve (train loss per logged step, validation loss;
                                 loss.png too when rsvg-convert is installed)
    <out>/training.json          how it was trained (arguments, data, time, hardware, figures)

Written with the standard library and NumPy (tools/tiny_checkpoint.write_safetensors).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from tiny_checkpoint import write_safetensors  # noqa: E402

SPECIAL_IDS = (("eos_token_id", "<|endoftext|>"), ("pad_token_id", "<|endoftext|>"),
               ("suffix_token_id", "<|suffix|>"), ("prefix_token_id", "<|prefix|>"),
               ("middle_token_id", "<|middle|>"), ("mask_token_id", "<|mask|>"),
               ("eom_token_id", "<|eom|>"))
FORMAT_NOTE = {
    "layout": "<|suffix|> S1..Sm <|prefix|> P1..Pn <|middle|> [block 1: L tokens] [block 2] ...",
    "positions": "RoPE position = index in this sequence (0..T-1)",
    "attention": "row i sees column j iff j <= end(i); end(i) = i for context rows "
                 "(i < C, C = tokens up to and including <|middle|>), end(i) = C + (b+1)*L - 1 "
                 "for a row of block b = (i - C) // L",
    "logits": "no shift: the row of a position predicts the token at that position",
    "eom": "the middle is followed by <|eom|> and the rest of its block is <|eom|> too "
           "(trained targets); decoding keeps the tokens before the first <|eom|> and "
           "decodes no further block",
    "blocks": "a decoded block is kept (its tokens, not masks, are the keys/values seen by "
              "later blocks); the block being decoded holds <|mask|> at undecided positions",
}


def special_ids(tokenizer_json):
    with open(tokenizer_json, encoding="utf-8") as f:
        added = {e["content"]: e["id"] for e in json.load(f)["added_tokens"]}
    return {k: added[v] for k, v in SPECIAL_IDS}


def make_config(model_config, ids, dtype, autoregressive):
    c = dict(model_config)
    cfg = {"architectures": ["InfilldFimForMaskedDiffusion"], "model_type": "infilld_fim",
           "hidden_size": c["hidden_size"], "num_hidden_layers": c["num_hidden_layers"],
           "num_attention_heads": c["num_attention_heads"],
           "num_key_value_heads": c["num_key_value_heads"],
           "head_dim": c["hidden_size"] // c["num_attention_heads"],
           "intermediate_size": c["intermediate_size"], "vocab_size": c["vocab_size"],
           "hidden_act": "silu", "attention_bias": True, "rope_theta": c["rope_theta"],
           "rope_scaling": None, "rms_norm_eps": c["rms_norm_eps"],
           "max_position_embeddings": c["max_position_embeddings"],
           "block_length": c["block_length"], "tie_word_embeddings": c["tie_word_embeddings"],
           "bos_token_id": None, "autoregressive": bool(autoregressive),
           "torch_dtype": {"bf16": "bfloat16", "f32": "float32"}[dtype],
           "infilld_fim": FORMAT_NOTE}
    cfg.update(ids)
    return cfg


def replace_folder(partial, final):
    """Puts the finished folder `partial` at `final`: by renames, so that a server watching
    or loading `final` sees the old folder or the new one, never half of either."""
    if os.path.exists(final):
        old = "%s.old-%d" % (final, os.getpid())
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
        os.rename(partial, final)
        shutil.rmtree(old)
    else:
        os.rename(partial, final)


def export(model, out_dir, tokenizer_dir, dtype="bf16", autoregressive=False, info=None,
           history=None):
    """Write the folder (into a temporary one beside it, renamed into place at the end);
    returns the config dict."""
    if dtype not in ("bf16", "f32"):
        raise ValueError("export dtype must be bf16 or f32")
    final = os.path.normpath(out_dir)
    out_dir = "%s.partial-%d" % (final, os.getpid())
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        src = os.path.join(tokenizer_dir, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(out_dir, name))
    ids = special_ids(os.path.join(tokenizer_dir, "tokenizer.json"))
    cfg = make_config(model.config, ids, dtype, autoregressive)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    state = model.state_dict()
    tensors = {}
    for name, t in state.items():
        tensors[name] = (t.detach().float().cpu().numpy(), dtype)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors,
                      {"format": "pt", "model_type": "infilld_fim"})
    if history:
        write_loss_csv(history, os.path.join(out_dir, "loss.csv"))
        svg = os.path.join(out_dir, "loss.svg")
        write_loss_svg(history, svg, title=(info or {}).get("title", "infilld FIM training loss"))
        svg_to_png(svg, os.path.join(out_dir, "loss.png"))
    if info is not None:
        with open(os.path.join(out_dir, "training.json"), "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")
    replace_folder(out_dir, final)
    return cfg


# ---------------------------------------------------------------------------------------
# loss curve

CSV_COLUMNS = ("step", "tokens", "seconds", "lr", "train_loss", "train_masked_ce",
               "train_context_ce", "val_loss", "val_masked_ce")


def write_loss_csv(history, path):
    with open(path, "w") as f:
        f.write(",".join(CSV_COLUMNS) + "\n")
        for row in history:
            f.write(",".join("" if row.get(k) is None else
                             ("%.6g" % row[k] if isinstance(row[k], float) else str(row[k]))
                             for k in CSV_COLUMNS) + "\n")


def _ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    first = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(first, hi + step * 1e-6, step)]


def write_loss_svg(history, path, title="training loss", width=720, height=420):
    """A hand-written SVG line chart: train loss (and its moving average) and val loss
    against tokens seen."""
    pts = [(r["tokens"], r["train_loss"]) for r in history if r.get("train_loss") is not None]
    val = [(r["tokens"], r["val_loss"]) for r in history if r.get("val_loss") is not None]
    if not pts and not val:
        return
    allp = pts + val
    x0, x1 = 0.0, max(p[0] for p in allp) or 1.0
    ys = [p[1] for p in allp]
    y0, y1 = max(0.0, min(ys) * 0.95), max(ys) * 1.05
    L, R, T, B = 70, 20, 40, 50
    def sx(x):
        return L + (x - x0) / (x1 - x0) * (width - L - R)
    def sy(y):
        return height - B - (y - y0) / (y1 - y0 or 1.0) * (height - T - B)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15">%s</text>' % (L, _esc(title))]
    for v in _ticks(y0, y1):
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>'
                   % (L, width - R, sy(v), sy(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (L - 6, sy(v) + 4, v))
    scale, unit = ((1e6, "M") if x1 >= 1e6 else (1e3, "k") if x1 >= 1e3 else (1, ""))
    for v in _ticks(x0, x1):
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/>'
                   % (sx(v), sx(v), T, height - B))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%g%s</text>'
                   % (sx(v), height - B + 16, round(v / scale, 3), unit))
    out.append('<text x="%d" y="%d" text-anchor="middle">tokens seen</text>'
               % ((L + width - R) // 2, height - 12))
    out.append('<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">'
               'loss (nats/token)</text>' % ((T + height - B) // 2, (T + height - B) // 2))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>'
               % (L, T, width - L - R, height - T - B))
    def poly(p, color, w, extra=""):
        return ('<polyline fill="none" stroke="%s" stroke-width="%s" %s points="%s"/>'
                % (color, w, extra, " ".join("%.1f,%.1f" % (sx(a), sy(b)) for a, b in p)))
    if pts:
        out.append(poly(pts, "#9ecae1", 1))
        k = max(1, len(pts) // 25)
        ma = [(pts[i][0], float(np.mean([p[1] for p in pts[max(0, i - k + 1):i + 1]])))
              for i in range(len(pts))]
        out.append(poly(ma, "#08519c", 2))
    if val:
        out.append(poly(val, "#d94801", 2, 'stroke-dasharray="5,3"'))
        for a, b in val:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#d94801"/>' % (sx(a), sy(b)))
    ly = T + 16
    for label, color in (("train (per log interval)", "#9ecae1"),
                         ("train (moving average)", "#08519c"), ("validation", "#d94801")):
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (width - R - 190, width - R - 165, ly - 4, ly - 4, color))
        out.append('<text x="%d" y="%d">%s</text>' % (width - R - 158, ly, label))
        ly += 16
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def svg_to_png(svg, png):
    """loss.png beside loss.svg when rsvg-convert is installed (matplotlib is not)."""
    tool = shutil.which("rsvg-convert")
    if tool and os.path.exists(svg):
        subprocess.run([tool, "-o", png, svg], capture_output=True, timeout=60)


def _esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
