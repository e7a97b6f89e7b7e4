#!/usr/bin/env python3
"""Write tiny random checkpoints in the exact Hugging Face folder layout.

Families: dream (Qwen2.5 backbone, untied LM head), qwen2_mdm (Open-dCoder style: a
Qwen2 model with tied embeddings plus a mask_token_id) and llada (LLaDA's OLMo-style
names). The folder gets config.json, generation_config.json, a small byte-level BPE
tokenizer.json + tokenizer_config.json, and model.safetensors or N shards plus
model.safetensors.index.json. Standard library + NumPy only.

Library use (from test scripts):
    write_checkpoint(out_dir, "dream", "bf16", shards=3, seed=1) -> dict
    write_safetensors(path, {name: (np.ndarray, "F32"|"BF16"|"F16"|"F64"|"I64"...)})
    tensor_specs("llada", dims) -> [(name, shape), ...]
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

ARCHS = ("dream", "qwen2_mdm", "llada")
MODEL_TYPE_TO_ARCH = {"dream": "dream", "qwen2": "qwen2_mdm", "llada": "llada"}
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# ---------------------------------------------------------------------------------------
# safetensors writing

_NP_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4",
              "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "u1"}
DTYPE_NAMES = {"f32": "F32", "bf16": "BF16", "f16": "F16"}
DTYPE_TORCH = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}


def bf16_bits(a):
    """float32 array -> uint16 bfloat16 bits (round to nearest even)."""
    u = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def bf16_round(a):
    """The float32 values that BF16 storage of `a` holds."""
    return (bf16_bits(a).astype("<u4") << 16).view("<f4")


def tensor_bytes(array, dtype):
    """Raw little-endian bytes of `array` stored as safetensors dtype `dtype`."""
    dtype = DTYPE_NAMES.get(dtype, dtype)
    if dtype == "BF16":
        return bf16_bits(np.asarray(array, dtype=np.float32)).tobytes()
    if dtype not in _NP_DTYPES:
        raise ValueError("cannot write dtype %r" % dtype)
    return np.ascontiguousarray(np.asarray(array).astype(_NP_DTYPES[dtype])).tobytes()


def encode_header(header):
    """JSON header dict -> the 8-byte length prefix plus the space-padded JSON."""
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw


def write_safetensors(path, tensors, metadata=None):
    """Write {name: (array, dtype)} in insertion order; returns the header dict.

    Written beside `path` and renamed over it, so that a server mapping the old file never
    sees a half-written one (it keeps the old file until it loads again)."""
    header, blobs, offset = {}, [], 0
    for name, (array, dtype) in tensors.items():
        dtype = DTYPE_NAMES.get(dtype, dtype)
        data = tensor_bytes(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata if metadata is not None else {"format": "pt"}
    partial = "%s.partial-%d" % (path, os.getpid())
    with open(partial, "wb") as f:
        f.write(encode_header(header))
        for data in blobs:
            f.write(data)
    os.replace(partial, path)
    return header


# ---------------------------------------------------------------------------------------
# tokenizer

def bytes_to_unicode():
    """GPT-2's byte -> printable unicode map, in GPT-2 vocabulary order."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
          + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


# Merges of common code pairs, in priority order (\u0120 = space, \u010a = newline).
_MERGES = [
    "Ġ Ġ", "ĠĠ ĠĠ", "i n", "Ġ t", "ĠĠĠĠ ĠĠĠĠ", "e r", "o n", "r e", "Ġ =", "d e",
    "de f", "Ġ def", "a t", "e n", "Ġ f", "r o", "s e", "Ġ (", "Ġ s", "l e",
    "o r", "Ġ c", "u r", "ur n", "Ġ re", "Ġre t", "Ġret urn", "e l", "el f", "s elf",
    "Ġ self", "in t", "p r", "pr int", "Ġ in", "i f", "Ġ if", ") :", "( )", "Ċ Ġ",
    "ĊĠ ĠĠ", "Ċ Ċ", "= =", "Ġ ==", "Ġ +", "t h", "th e", "Ġ the", "on e", "N one",
    "Ġ None", "i s", "is t", "l ist", "Ġ 1", "Ġ x", "a l", "Ġ a", "f or", "Ġ for",
    "Ġ i", ", Ġ", "Ġ 0", "Ġ w",
]

_SPECIALS = {  # added tokens per family, in id order; roles name the config fields
    "dream": [("<|endoftext|>", ("eos", "pad", "bos")), ("<|im_start|>", ()),
              ("<|im_end|>", ()), ("<|beginoftext|>", ()), ("<|mask|>", ("mask",))],
    "qwen2_mdm": [("<|endoftext|>", ("eos", "pad", "bos")), ("<|im_start|>", ()),
                  ("<|im_end|>", ()), ("<|mask|>", ("mask",))],
    "llada": [("<|startoftext|>", ("bos",)), ("<|endoftext|>", ("eos", "pad")),
              ("<|eot_id|>", ()), ("<|mdm_mask|>", ("mask",))],
}


def tokenizer_json(added, vocab, merges, **model_options):
    """tokenizer.json of a Qwen2-style byte-level BPE: NFC normalizer, Split on QWEN2_REGEX,
    ByteLevel without its own regex, a BPE model with `vocab` and `merges` (model_options:
    more keys of the model, before vocab), the `added` tokens."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                  "use_regex": False}
    model = {"type": "BPE", "dropout": None, "unk_token": None,
             "continuing_subword_prefix": "", "end_of_word_suffix": "",
             "fuse_unk": False, "byte_fallback": False}
    model.update(model_options)
    model.update(vocab=vocab, merges=merges)
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_REGEX}, "behavior": "Isolated",
             "invert": False}, dict(byte_level)]},
        "post_processor": dict(byte_level), "decoder": dict(byte_level),
        "model": model,
    }


def build_tokenizer(arch, merges_form="string"):
    """Returns (tokenizer.json dict, tokenizer_config dict, special ids, tokenizer size)."""
    vocab = {}
    for i, (_, ch) in enumerate(bytes_to_unicode()):
        vocab[ch] = i
    merges = []
    for m in _MERGES:
        a, b = m.split(" ")
        assert a in vocab and b in vocab and a + b not in vocab, m
        vocab[a + b] = len(vocab)
        merges.append(m if merges_form == "string" else [a, b])
    added, added_decoder, ids = [], {}, {}
    for content, roles in _SPECIALS[arch]:
        tid = len(vocab) + len(added)
        entry = {"id": tid, "content": content, "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True}
        added.append(entry)
        added_decoder[str(tid)] = {k: entry[k] for k in
                                   ("content", "lstrip", "normalized", "rstrip",
                                    "single_word", "special")}
        for role in roles:
            ids[role] = tid
        ids["token:" + content] = tid
    tok = tokenizer_json(added, vocab, merges)
    name_of = {v: k[len("token:"):] for k, v in ids.items() if k.startswith("token:")}
    tcfg = {"add_bos_token": False, "add_prefix_space": False,
            "added_tokens_decoder": added_decoder,
            "bos_token": name_of[ids["bos"]], "eos_token": name_of[ids["eos"]],
            "pad_token": name_of[ids["pad"]], "mask_token": name_of[ids["mask"]],
            "clean_up_tokenization_spaces": False, "errors": "replace",
            "model_max_length": 4096, "split_special_tokens": False, "unk_token": None,
            "tokenizer_class": "PreTrainedTokenizerFast" if arch == "llada"
            else "Qwen2Tokenizer"}
    if arch == "dream":
        tcfg["bos_token"] = "<|beginoftext|>"  # as Dream's tokenizer_config
    return tok, tcfg, ids, len(vocab) + len(added)


# ---------------------------------------------------------------------------------------
# tensors and configs

def default_dims(arch):
    return {"layers": 2, "hidden": 64, "heads": 4, "kv_heads": 2, "ffn": 128,
            "vocab": None, "rope_theta": 500000.0 if arch == "llada" else 10000.0,
            "eps": 1e-5 if arch == "llada" else 1e-6}


def tensor_specs(arch, dims):
    """[(name, shape), ...] in file order for `arch` with dims (layers, hidden, ...)."""
    L, H, A, K, F, V = (dims[k] for k in ("layers", "hidden", "heads", "kv_heads", "ffn",
                                          "vocab"))
    D = H // A
    out = []
    if arch == "llada":
        p = "model.transformer."
        out.append((p + "wte.weight", [V, H]))
        for i in range(L):
            b = "%sblocks.%d." % (p, i)
            out += [(b + "attn_norm.weight", [H]), (b + "q_proj.weight", [A * D, H]),
                    (b + "k_proj.weight", [K * D, H]), (b + "v_proj.weight", [K * D, H]),
                    (b + "attn_out.weight", [H, A * D]), (b + "ff_norm.weight", [H]),
                    (b + "ff_proj.weight", [F, H]), (b + "up_proj.weight", [F, H]),
                    (b + "ff_out.weight", [H, F])]
        out += [(p + "ln_f.weight", [H]), (p + "ff_out.weight", [V, H])]
        return out
    out.append(("model.embed_tokens.weight", [V, H]))
    for i in range(L):
        b = "model.layers.%d." % i
        out.append((b + "input_layernorm.weight", [H]))
        for proj, rows in (("q_proj", A * D), ("k_proj", K * D), ("v_proj", K * D)):
            out += [(b + "self_attn.%s.weight" % proj, [rows, H]),
                    (b + "self_attn.%s.bias" % proj, [rows])]
        out += [(b + "self_attn.o_proj.weight", [H, A * D]),
                (b + "post_attention_layernorm.weight", [H]),
                (b + "mlp.gate_proj.weight", [F, H]), (b + "mlp.up_proj.weight", [F, H]),
                (b + "mlp.down_proj.weight", [H, F])]
    out.append(("model.norm.weight", [H]))
    if arch == "dream":
        out.append(("lm_head.weight", [V, H]))
    return out


def random_tensor(rng, name, shape):
    """Random values; scales chosen so the logits are O(1..10) (std ~2)."""
    if name.endswith(("embed_tokens.weight", "wte.weight")):  # also the tied LM head
        return 2.0 / np.sqrt(shape[1]) * rng.standard_normal(shape)
    if "norm" in name or name.endswith("ln_f.weight"):
        return 1.0 + 0.1 * rng.standard_normal(shape)
    if name.endswith(".bias"):
        return 0.1 * rng.standard_normal(shape)
    scale = 1.0 / np.sqrt(shape[1])
    if name in ("lm_head.weight", "model.transformer.ff_out.weight"):
        scale *= 2.0
    # q/k at 1/sqrt(fan_in): a wrong RoPE, mask or GQA map moves the logits by 20-150% of
    # their range, while bf16 rounding of every activation stays under 1% (sharper
    # attention would amplify that rounding past the parity tolerance).
    return scale * rng.standard_normal(shape)


def make_config(arch, dims, ids, torch_dtype):
    """config.json dict in the family's real format."""
    H, L, A, K, F, V = (dims[k] for k in ("hidden", "layers", "heads", "kv_heads", "ffn",
                                          "vocab"))
    if arch == "llada":
        return {
            "activation_type": "silu", "alibi": False, "alibi_bias_max": 8.0,
            "architectures": ["LLaDAModelLM"], "attention_dropout": 0.0,
            "attention_layer_norm": False, "attention_layer_norm_with_affine": True,
            "bias_for_layer_norm": False, "block_group_size": 1, "block_type": "llama",
            "d_model": H, "embedding_dropout": 0.0, "embedding_size": V,
            "eos_token_id": ids["eos"], "flash_attention": False, "include_bias": False,
            "include_qkv_bias": False, "init_device": "meta", "init_fn": "mitchell",
            "init_std": 0.02, "input_emb_norm": False, "layer_norm_type": "rms",
            "layer_norm_with_affine": True, "mask_token_id": ids["mask"],
            "max_sequence_length": 4096, "mlp_hidden_size": F, "mlp_ratio": 4,
            "model_type": "llada", "multi_query_attention": None, "n_heads": A,
            "n_kv_heads": K, "n_layers": L, "pad_token_id": ids["pad"],
            "precision": "amp_bf16", "residual_dropout": 0.0, "rms_norm_eps": dims["eps"],
            "rope": True, "rope_full_precision": True, "rope_theta": dims["rope_theta"],
            "scale_logits": False, "transformers_version": "4.46.3", "use_cache": False,
            "vocab_size": V, "weight_tying": False}
    cfg = {
        "architectures": ["DreamModel" if arch == "dream" else "Qwen2ForCausalLM"],
        "attention_dropout": 0.0, "bos_token_id": ids["bos"], "eos_token_id": ids["eos"],
        "hidden_act": "silu", "hidden_size": H, "initializer_range": 0.02,
        "intermediate_size": F, "mask_token_id": ids["mask"],
        "max_position_embeddings": 131072 if arch == "dream" else 32768,
        "max_window_layers": L, "model_type": "Dream" if arch == "dream" else "qwen2",
        "num_attention_heads": A, "num_hidden_layers": L, "num_key_value_heads": K,
        "pad_token_id": ids["pad"], "rms_norm_eps": dims["eps"], "rope_scaling": None,
        "rope_theta": dims["rope_theta"],
        "sliding_window": None if arch == "dream" else 32768,
        "tie_word_embeddings": arch != "dream", "torch_dtype": torch_dtype,
        "transformers_version": "4.46.2", "use_cache": True, "use_sliding_window": False,
        "vocab_size": V}
    if arch == "dream":
        cfg["use_mrope"] = False
    return cfg


def make_generation_config(arch, ids):
    if arch == "dream":
        return {"_from_model_config": True, "alg": "origin", "alg_temp": None,
                "bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "eps": 0.001,
                "mask_token_id": ids["mask"], "output_history": False,
                "pad_token_id": ids["pad"], "steps": 64, "temperature": 0.0,
                "top_k": None, "top_p": None, "transformers_version": "4.46.2"}
    if arch == "qwen2_mdm":
        return {"bos_token_id": ids["bos"], "pad_token_id": ids["pad"],
                "eos_token_id": ids["eos"], "mask_token_id": ids["mask"],
                "transformers_version": "4.43.1"}
    return {"_from_model_config": True, "bos_token_id": ids["bos"],
            "eos_token_id": ids["eos"], "transformers_version": "4.38.2"}


# Dimension fields of a real config, per family, and which tiny dim each takes.
_DIM_FIELDS = {
    "llada": {"d_model": "hidden", "n_layers": "layers", "n_heads": "heads",
              "n_kv_heads": "kv_heads", "mlp_hidden_size": "ffn", "vocab_size": "vocab",
              "embedding_size": "vocab"},
    "qwen": {"hidden_size": "hidden", "num_hidden_layers": "layers",
             "max_window_layers": "layers", "num_attention_heads": "heads",
             "num_key_value_heads": "kv_heads", "intermediate_size": "ffn",
             "vocab_size": "vocab"},
}


def _layer_of(name):
    m = re.search(r"\.(?:layers|blocks)\.(\d+)\.", name)
    return int(m.group(1)) if m else None


def _like_config(like, arch, dims, ids, torch_dtype):
    """Copy of like/config.json with tiny dims and the tiny tokenizer's special ids."""
    with open(os.path.join(like, "config.json")) as f:
        cfg = json.load(f)
    for field, dim in _DIM_FIELDS["llada" if arch == "llada" else "qwen"].items():
        if field in cfg or field in ("vocab_size",):
            cfg[field] = dims[dim]
    for role in ("mask", "bos", "eos", "pad"):
        cfg[role + "_token_id"] = ids[role]
    if "torch_dtype" in cfg:
        cfg["torch_dtype"] = torch_dtype
    cfg["_infilld_tiny_from"] = os.path.basename(os.path.normpath(like))
    return cfg


def _like_names(like, layers):
    """(sorted tensor names of like/ kept for `layers` layers, shard count), or (None, None)."""
    path = os.path.join(like, "model.safetensors.index.json")
    if not os.path.exists(path):
        return None, None
    with open(path) as f:
        wmap = json.load(f)["weight_map"]
    real_layers = 1 + max(_layer_of(n) for n in wmap if _layer_of(n) is not None)
    if layers > real_layers:
        raise SystemExit("tiny_checkpoint: %s has only %d layers" % (like, real_layers))
    names = sorted(n for n in wmap if _layer_of(n) is None or _layer_of(n) < layers)
    return names, len(set(wmap.values()))


def write_checkpoint(out_dir, arch, dtype="f32", shards=None, seed=0, layers=2, hidden=64,
                     heads=4, kv_heads=None, ffn=128, vocab=None, rope_theta=None,
                     eps=None, like=None, merges_form="string", printable=False):
    """Write a complete tiny checkpoint folder; returns a summary dict.

    With `printable`, the LM head's rows of every token that is not printable ASCII (or a
    newline) are zero, so greedy decoding writes readable text: what the language-server
    tests need to see suggestions survive post-processing. The network is still random.

    With `like` (a real checkpoint folder), the config is that folder's with tiny dims
    and the tensor names must equal the real index's (restricted to the kept layers).
    """
    like_cfg = None
    if like is not None:
        with open(os.path.join(like, "config.json")) as f:
            like_cfg = json.load(f)
        real_arch = MODEL_TYPE_TO_ARCH.get(str(like_cfg.get("model_type", "")).lower())
        if arch is None:
            arch = real_arch
        if arch != real_arch:
            raise SystemExit("tiny_checkpoint: %s is model_type %r, not %s"
                             % (like, like_cfg.get("model_type"), arch))
    if arch not in ARCHS:
        raise SystemExit("tiny_checkpoint: unknown arch %r" % arch)
    dims = default_dims(arch)
    if kv_heads is None:
        kv_heads = 2
        if like_cfg is not None:  # keep the real model's MHA / GQA character
            real_h = like_cfg.get("n_heads", like_cfg.get("num_attention_heads"))
            real_k = like_cfg.get("n_kv_heads", like_cfg.get("num_key_value_heads"))
            if real_k is None or real_k == real_h:
                kv_heads = heads
    dims.update(layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, ffn=ffn)
    if rope_theta is not None:
        dims["rope_theta"] = rope_theta
    if eps is not None:
        dims["eps"] = eps
    if hidden % heads or heads % kv_heads or (hidden // heads) % 2:
        raise SystemExit("tiny_checkpoint: need hidden %% heads == 0, heads %% kv_heads == 0"
                         " and an even head_dim")
    tok, tcfg, ids, tok_size = build_tokenizer(arch, merges_form)
    if vocab is None:
        vocab = max(384, -(-tok_size // 64) * 64)
    if vocab < tok_size:
        raise SystemExit("tiny_checkpoint: vocab %d < tokenizer size %d" % (vocab, tok_size))
    dims["vocab"] = vocab
    st_dtype = DTYPE_NAMES[dtype]
    specs = tensor_specs(arch, dims)

    if like_cfg is not None:
        if "rope_theta" in like_cfg and rope_theta is None:
            dims["rope_theta"] = like_cfg["rope_theta"]
        if "rms_norm_eps" in like_cfg and eps is None:
            dims["eps"] = like_cfg["rms_norm_eps"]
        real_names, real_shards = _like_names(like, layers)
        if real_names is not None:
            ours = sorted(n for n, _ in specs)
            if ours != real_names:
                missing = sorted(set(real_names) - set(ours))
                extra = sorted(set(ours) - set(real_names))
                raise SystemExit("tiny_checkpoint: tensor names differ from %s: real-only %s,"
                                 " generated-only %s" % (like, missing[:5], extra[:5]))
            if shards is None:
                shards = real_shards
        config = _like_config(like, arch, dims, ids, DTYPE_TORCH[st_dtype])
    else:
        config = make_config(arch, dims, ids, DTYPE_TORCH[st_dtype])
    shards = 1 if shards is None else shards
    if not 1 <= shards <= len(specs):
        raise SystemExit("tiny_checkpoint: shards must be 1..%d" % len(specs))

    os.makedirs(out_dir, exist_ok=True)
    _dump(os.path.join(out_dir, "config.json"), config)
    _dump(os.path.join(out_dir, "generation_config.json"), make_generation_config(arch, ids))
    _dump(os.path.join(out_dir, "tokenizer.json"), tok)
    _dump(os.path.join(out_dir, "tokenizer_config.json"), tcfg)

    rng = np.random.default_rng(seed)
    tensors = [(n, random_tensor(rng, n, s).astype(np.float32)) for n, s in specs]
    if printable:
        _silence_unprintable(tensors, tok, vocab)
    files = []
    if shards == 1:
        files.append("model.safetensors")
        write_safetensors(os.path.join(out_dir, files[0]),
                          {n: (a, st_dtype) for n, a in tensors})
    else:
        weight_map, total = {}, 0
        bounds = np.linspace(0, len(tensors), shards + 1).round().astype(int)
        for s in range(shards):
            fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            files.append(fname)
            part = tensors[bounds[s]:bounds[s + 1]]
            write_safetensors(os.path.join(out_dir, fname),
                              {n: (a, st_dtype) for n, a in part})
            for n, a in part:
                weight_map[n] = fname
                total += len(tensor_bytes(a, st_dtype))
        _dump(os.path.join(out_dir, "model.safetensors.index.json"),
              {"metadata": {"total_size": total}, "weight_map": weight_map})
    return {"dir": out_dir, "arch": arch, "dtype": st_dtype, "dims": dims,
            "config": config, "tensors": [n for n, _ in specs],
            "shapes": dict(specs), "files": files,
            "mask_token_id": ids["mask"], "bos_token_id": ids["bos"],
            "eos_token_id": ids["eos"], "pad_token_id": ids["pad"],
            "vocab_size": vocab, "tokenizer_size": tok_size}


def _silence_unprintable(tensors, tok, vocab):
    """Zeroes the LM head rows of tokens whose bytes are not printable ASCII or newline."""
    byte_of = {ch: b for b, ch in bytes_to_unicode()}
    keep = np.zeros(vocab, dtype=bool)
    for text, tid in tok["model"]["vocab"].items():
        data = [byte_of.get(ch, -1) for ch in text]
        keep[tid] = all(b == 10 or 32 <= b < 127 for b in data)
    heads = ("lm_head.weight", "model.transformer.ff_out.weight")
    names = [n for n, _ in tensors]
    head = next((n for n in names if n in heads), None) or "model.embed_tokens.weight"
    for n, a in tensors:
        if n == head:
            a[~keep] = 0.0


def _dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=ARCHS, help="required unless --like gives it")
    p.add_argument("--dtype", choices=sorted(DTYPE_NAMES), default="f32")
    p.add_argument("--shards", type=int, help="default 1 (with --like: the real count)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--like", metavar="REAL_DIR")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int)
    p.add_argument("--ffn", type=int, default=128)
    p.add_argument("--vocab", type=int)
    p.add_argument("--merges-form", choices=("string", "pairs"), default="string")
    p.add_argument("--printable", action="store_true",
                   help="greedy decoding writes printable ASCII (zeroes other LM head rows)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.arch is None and a.like is None:
        p.error("--arch is required without --like")
    info = write_checkpoint(a.out, a.arch, a.dtype, a.shards, a.seed, a.layers, a.hidden,
                            a.heads, a.kv_heads, a.ffn, a.vocab, like=a.like,
                            merges_form=a.merges_form, printable=a.printable)
    print("wrote %s: %s %s, %d tensors in %d file(s), vocab %d, mask id %d"
          % (a.out, info["arch"], info["dtype"], len(info["tensors"]), len(info["files"]),
             info["vocab_size"], info["mask_token_id"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
