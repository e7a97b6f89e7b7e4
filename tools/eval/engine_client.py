"""Completions from `infilld complete --stdin --json`, one process per task.

One process per task reloads the model each time; the weights are memory-mapped, so the
cost is the process start, the tokenizer and the context engine: it is measured per task
as `overhead_ms` = wall time - the engine's total_ms and reported beside the latency, so
the engine figures (stats.total_ms) stay those of the denoising alone.
"""
import json
import os
import shlex
import subprocess
import time


def base_flags(max_tokens=None, steps=None, raw=False, language="python", greedy=True,
               extra=""):
    """The flags given to every `infilld complete` call, as a list."""
    extra_list = shlex.split(extra or "")
    flags = ["--language", language] if language and "--language" not in extra_list else []
    if greedy and "--temperature" not in extra_list:
        flags += ["--temperature", "0"]
    if max_tokens is not None:
        flags += ["--max-tokens", str(max_tokens)]
    if steps is not None:
        flags += ["--steps", str(steps)]
    if raw:
        flags.append("--raw")
    return flags + extra_list


def complete(binary, model, prefix, suffix, flags, timeout_s=600):
    """One completion: a dict with text, tokens (count), finish_reason, stats, wall_ms,
    overhead_ms and error (None, or the reason the process failed)."""
    cmd = [binary, "complete", "--model", model, "--stdin", "--json"] + list(flags)
    payload = json.dumps({"prefix": prefix, "suffix": suffix})
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, input=payload.encode("utf-8"), capture_output=True,
                           timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return _failed("timeout after %ss" % timeout_s, (time.perf_counter() - t0) * 1e3)
    wall_ms = (time.perf_counter() - t0) * 1e3
    if r.returncode != 0:
        return _failed("exit %d: %s" % (r.returncode,
                                        r.stderr.decode("utf-8", "replace").strip()[-300:]),
                       wall_ms)
    try:
        out = json.loads(r.stdout.decode("utf-8", "replace"))
    except ValueError:
        return _failed("not JSON: %r" % r.stdout[:200], wall_ms)
    stats = out.get("stats") or {}
    total = stats.get("total_ms")
    return {"text": out.get("text", ""), "tokens": len(out.get("tokens") or []),
            "finish_reason": out.get("finish_reason", "?"), "stats": stats,
            "wall_ms": round(wall_ms, 3),
            "overhead_ms": round(wall_ms - total, 3) if total is not None else None,
            "error": None}


def _failed(reason, wall_ms):
    return {"text": "", "tokens": 0, "finish_reason": "error", "stats": {},
            "wall_ms": round(wall_ms, 3), "overhead_ms": None, "error": reason}


def model_summary(model, binary=None):
    """What identifies the model folder: config.json's main fields, the weight files'
    size, training.json's summary when the folder was made by tools/train, and
    `infilld info`'s text."""
    out = {"dir": os.path.abspath(model)}
    try:
        with open(os.path.join(model, "config.json")) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        out["error"] = str(e)
        return out
    keys = ("model_type", "architectures", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size",
            "max_position_embeddings", "block_length", "autoregressive", "torch_dtype",
            "tie_word_embeddings", "n_layers", "d_model", "n_heads")
    out["config"] = {k: cfg[k] for k in keys if k in cfg}
    out["weights_bytes"] = sum(os.path.getsize(os.path.join(model, n))
                               for n in os.listdir(model) if n.endswith(".safetensors"))
    try:
        with open(os.path.join(model, "training.json")) as f:
            tr = json.load(f)
        out["training"] = {k: v for k, v in tr.items()
                           if isinstance(v, (int, float, str, bool)) or v is None}
    except (OSError, ValueError):
        pass
    if binary:
        try:
            r = subprocess.run([binary, "info", "--model", model], capture_output=True,
                               text=True, timeout=60)
            out["info"] = r.stdout.strip() if r.returncode == 0 else r.stderr.strip()[-300:]
        except (OSError, subprocess.TimeoutExpired) as e:
            out["info"] = "failed: %s" % e
    return out


def version(binary):
    try:
        r = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        return r.stdout.strip() or r.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return "failed: %s" % e
