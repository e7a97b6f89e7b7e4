#!/usr/bin/env python3
"""Malformed checkpoints must give one clear error line and exit status 2.

Starting from a valid tiny dream f32 checkpoint (tools/tiny_checkpoint.py), each case
builds one malformed folder and runs both

    infilld info --model DIR
    infilld forward --model DIR --tokens 1,2 --out X.npy

expecting: exit status exactly 2 (a negative status, a crash by signal, fails), stderr
exactly one line starting with "infilld: error:", containing (case-insensitive) every
fragment listed for the case. These fragments are the contract with the C++ loader.

"truncated" and "outside" both have a tensor ending past the data area; they differ in
layout. file_truncated keeps the tensors tiling [0, S) with no gaps, but the file holds
fewer than S data bytes: report "truncated". data_offsets_outside moves one tensor past
the end and leaves a gap where it was: report "outside". So a loader should check overlaps,
then "ranges tile [0, S) and S > data size" -> truncated, then any end > data size ->
outside.

    test_cli_errors.py --infilld PATH [--workdir DIR] [--only SUBSTRING]

Prints `ok`/`FAIL` lines, then the last line `N passed, M failed, 0 skipped`; exit 1 on failure.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tiny_checkpoint as tc  # noqa: E402

SINGLE = "model.safetensors"
SHARD2 = "model-00002-of-00003.safetensors"
INDEX = "model.safetensors.index.json"
MISSING_TENSOR = "model.layers.1.mlp.up_proj.weight"
WRONG_SHAPE_TENSOR = "model.layers.0.mlp.gate_proj.weight"


# ---------------------------------------------------------------------------------------
# raw safetensors surgery

def read_raw(path):
    """(header dict, data bytes) of a safetensors file, without validation."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_raw(path, header, data):
    with open(path, "wb") as f:
        f.write(tc.encode_header(header) + data)


def tensors_of(path):
    """{name: (float32 array, dtype)} of a valid F32 file, in file order."""
    header, data = read_raw(path)
    out = {}
    for name, e in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                          key=lambda kv: kv[1]["data_offsets"][0]):
        b, t = e["data_offsets"]
        out[name] = (np.frombuffer(data[b:t], "<f4").reshape(e["shape"]), e["dtype"])
    return out


def edit_json(path, fn):
    with open(path) as f:
        obj = json.load(f)
    fn(obj)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def set_field(field, value):
    def mutate(d):
        edit_json(os.path.join(d, "config.json"), lambda c: c.__setitem__(field, value))
    return mutate


def remove(fname):
    return lambda d: os.remove(os.path.join(d, fname))


def write_text(fname, text):
    def mutate(d):
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    return mutate


def rewrite(fn):
    """Mutation that rebuilds model.safetensors from fn(tensors dict) -> tensors dict."""
    def mutate(d):
        path = os.path.join(d, SINGLE)
        tc.write_safetensors(path, fn(tensors_of(path)))
    return mutate


def edit_header(fn):
    """Mutation that edits the header dict of model.safetensors (data unchanged)."""
    def mutate(d):
        path = os.path.join(d, SINGLE)
        header, data = read_raw(path)
        fn(header, len(data))
        write_raw(path, header, data)
    return mutate


def truncate(nbytes_left):
    def mutate(d):
        path = os.path.join(d, SINGLE)
        with open(path, "r+b") as f:
            f.truncate(nbytes_left(os.path.getsize(path)))
    return mutate


def header_length_too_big(d):
    path = os.path.join(d, SINGLE)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.write(struct.pack("<Q", size + 4096))


def header_not_json(d):
    path = os.path.join(d, SINGLE)
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    garbage = b'{"model.embed_tokens.weight": {not json'
    with open(path, "wb") as f:
        f.write(blob[:8] + garbage.ljust(n, b" ") + blob[8 + n:])


def offsets_outside(header, data_size):
    """Moves the last tensor past the end of the data area (its span stays right)."""
    last = max((k for k in header if k != "__metadata__"),
               key=lambda k: header[k]["data_offsets"][0])
    b, e = header[last]["data_offsets"]
    header[last]["data_offsets"] = [b + data_size, e + data_size]


def overlapping(d):
    """Layer 0's post-attention norm shares the bytes of its input norm (no gaps left)."""
    path = os.path.join(d, SINGLE)
    header, data = read_raw(path)
    a = header["model.layers.0.input_layernorm.weight"]
    b_name = "model.layers.0.post_attention_layernorm.weight"
    b0, b1 = header[b_name]["data_offsets"]
    span = b1 - b0
    for name, e in header.items():
        if name != "__metadata__" and e["data_offsets"][0] >= b1:
            e["data_offsets"] = [e["data_offsets"][0] - span, e["data_offsets"][1] - span]
    header[b_name]["data_offsets"] = list(a["data_offsets"])
    write_raw(path, header, data[:b0] + data[b1:])


def bytes_mismatch(header, _):
    header["model.layers.0.self_attn.q_proj.weight"]["shape"] = [64, 65]


def as_dtype(name, dtype):
    def fn(tensors):
        array, _ = tensors[name]
        if dtype.startswith("I"):
            array = np.round(array * 100)
        tensors[name] = (array, dtype)
        return tensors
    return fn


def drop(name):
    def fn(tensors):
        del tensors[name]
        return tensors
    return fn


def transpose(name):
    def fn(tensors):
        array, dtype = tensors[name]
        tensors[name] = (np.ascontiguousarray(array.T), dtype)
        return tensors
    return fn


def shard_of_first_layer_tensor(d):
    """Name of the first layer tensor stored in shard 1 of the sharded base."""
    with open(os.path.join(d, INDEX)) as f:
        wmap = json.load(f)["weight_map"]
    first = sorted(set(wmap.values()))[0]
    return next(n for n, f in wmap.items() if f == first and ".layers." in n)


def index_wrong_shard(d):
    name = shard_of_first_layer_tensor(d)
    edit_json(os.path.join(d, INDEX),
              lambda j: j["weight_map"].__setitem__(name, "model-00003-of-00003.safetensors"))


# (case, base: "single" | "sharded" | None for a missing folder, mutation, fragments)
def cases(sharded_dir):
    moved = shard_of_first_layer_tensor(sharded_dir)
    return [
        ("folder_missing", None, None, ["not found"]),
        ("config_missing", "single", remove("config.json"), ["config.json"]),
        ("config_invalid_json", "single", write_text("config.json", '{"model_type": "Dream",'),
         ["config.json"]),
        ("unknown_model_type", "single", set_field("model_type", "gpt_neox"),
         ["unknown model_type", "gpt_neox"]),
        ("heads_not_dividing_hidden", "single", set_field("num_attention_heads", 6),
         ["num_attention_heads"]),
        ("no_weights", "single", remove(SINGLE), ["model.safetensors"]),
        ("shard_file_missing", "sharded", remove(SHARD2), [SHARD2]),
        ("index_points_to_wrong_shard", "sharded", index_wrong_shard, [moved]),
        ("missing_tensor", "single", rewrite(drop(MISSING_TENSOR)),
         ["missing tensor", MISSING_TENSOR]),
        ("wrong_shape", "single", rewrite(transpose(WRONG_SHAPE_TENSOR)),
         [WRONG_SHAPE_TENSOR, "expected", "found"]),
        ("file_truncated", "single", truncate(lambda size: size - 100), ["truncated"]),
        ("header_length_past_eof", "single", header_length_too_big, ["header"]),
        ("header_not_json", "single", header_not_json, ["header"]),
        ("data_offsets_outside", "single", edit_header(offsets_outside), ["outside"]),
        ("overlapping_tensors", "single", overlapping, ["overlap"]),
        ("byte_span_mismatch", "single", edit_header(bytes_mismatch), ["bytes"]),
        ("dtype_f64", "single", rewrite(as_dtype("model.norm.weight", "F64")),
         ["unsupported dtype"]),
        ("dtype_i64", "single", rewrite(as_dtype("model.norm.weight", "I64")),
         ["unsupported dtype"]),
        ("empty_file", "single", truncate(lambda size: 0), ["truncated"]),
    ]


# ---------------------------------------------------------------------------------------

def check(binary, cmd, model_dir, out_path, fragments, timeout):
    """None when infilld failed as expected, else the reason."""
    argv = [binary, cmd, "--model", model_dir]
    if cmd == "forward":
        argv += ["--tokens", "1,2", "--out", out_path]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return "cannot run %s" % binary
    except subprocess.TimeoutExpired:
        return "timed out after %ds" % timeout
    lines = proc.stderr.splitlines()
    shown = repr(proc.stderr[:300])
    if proc.returncode < 0:
        return "crashed with signal %d; stderr %s" % (-proc.returncode, shown)
    if proc.returncode != 2:
        return "exit %d (expected 2); stderr %s" % (proc.returncode, shown)
    if len(lines) != 1 or not lines[0].startswith("infilld: error:"):
        return "stderr is not one 'infilld: error:' line: %s" % shown
    missing = [f for f in fragments if f.lower() not in lines[0].lower()]
    if missing:
        return "stderr lacks %s: %r" % (missing, lines[0])
    return None


def main(argv=None):
    a, binary = harness.parse_args(__doc__, "keep the malformed folders here", 60, argv)

    workdir, cleanup = harness.work_dir(a.workdir, "infilld-errors-")
    passed = failed = 0
    try:
        bases = {"single": os.path.join(workdir, "base-single"),
                 "sharded": os.path.join(workdir, "base-sharded")}
        for kind, path in bases.items():
            shutil.rmtree(path, ignore_errors=True)
            tc.write_checkpoint(path, "dream", "f32", shards=1 if kind == "single" else 3,
                                seed=7)
        for name, base, mutate, fragments in cases(bases["sharded"]):
            if a.only and a.only not in name:
                continue
            model_dir = os.path.join(workdir, name)
            shutil.rmtree(model_dir, ignore_errors=True)
            if base is not None:
                shutil.copytree(bases[base], model_dir)
                mutate(model_dir)
            for cmd in ("info", "forward"):
                out_path = os.path.join(workdir, name + ".npy")
                reason = check(binary, cmd, model_dir, out_path, fragments, a.timeout)
                if reason is None:
                    print("ok %s/%s" % (name, cmd), flush=True)
                    passed += 1
                else:
                    print("FAIL %s/%s %s" % (name, cmd, reason), flush=True)
                    failed += 1
    finally:
        cleanup()
    return harness.summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
