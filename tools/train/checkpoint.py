#!/usr/bin/env python3
"""Training checkpoints of train.py: what a run needs to continue exactly where it stopped.

A checkpoint is one torch.save dict:
  model, opt     the network's and AdamW's state dicts
  step           the optimizer steps taken; also the data position, since batch `step`
                 depends on (seed, step) only (fim_data.FimSampler.batch)
  tokens, seconds, history, first_loss   counters and the logged curve
  torch_rng      the CPU generator's state (the context-row sampling of the loss)
  config, args   the network's config and the run's arguments (the schedule is in args)

Two forms:
  full      float32 tensors (<work>/ckpt.pt, written every --ckpt-every steps and at the
            end): resuming from it continues bit for bit as an uninterrupted run
  compact   the network and AdamW's moments in bfloat16 (about half the bytes): the form
            committed to the repository (models/training/v2/) for the next round of
            training; resuming from it differs from the full form by that rounding only
Loading accepts both (bfloat16 tensors are widened back to float32).

    checkpoint.py compact SRC.pt DST.pt    write the compact form of a full checkpoint
    checkpoint.py show CKPT.pt             step, tokens, seconds, schedule and size
    checkpoint.py step CKPT.pt             the step alone (for scripts)
    checkpoint.py export CKPT.pt OUT       an infilld model folder of the checkpoint's
                                           weights (bf16; the tokenizer from its data
                                           folder): evaluating a run at its checkpoints
"""
import argparse
import os
import sys

import torch


def _cast(obj, dtype):
    """obj with every floating tensor converted to dtype (dicts and lists walked)."""
    if torch.is_tensor(obj):
        return obj.to(dtype) if obj.is_floating_point() and obj.dim() > 0 else obj
    if isinstance(obj, dict):
        return {k: _cast(v, dtype) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cast(v, dtype) for v in obj)
    return obj


def save(path, state, compact=False):
    """Write state (the dict above) to path atomically (a temporary file renamed)."""
    if compact:
        state = dict(state, model=_cast(state["model"], torch.bfloat16),
                     opt=_cast(state["opt"], torch.bfloat16), compact=True)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def load(path, device="cpu"):
    """The state dict of a checkpoint of either form, with float32 tensors."""
    try:
        st = torch.load(path, map_location=device, weights_only=False)
    except TypeError:  # PyTorch before 2.0 has no weights_only
        st = torch.load(path, map_location=device)
    if st.get("compact"):
        st["model"] = _cast(st["model"], torch.float32)
        st["opt"] = _cast(st["opt"], torch.float32)
    return st


def export_folder(st, out):
    """Write the infilld model folder of a loaded checkpoint."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export as ex
    import fim_model
    args = st["args"]
    model = fim_model.FimModel(st["config"])
    model.load_state_dict(st["model"])
    info = {"title": "checkpoint at step %d (%.1fM tokens)" % (st["step"], st["tokens"] / 1e6),
            "steps": st["step"], "tokens_seen": st["tokens"], "train_seconds": st["seconds"],
            "autoregressive": bool(args.get("autoregressive")), "args": args}
    ex.export(model, out, args["data"], args.get("export_dtype", "bf16"),
              bool(args.get("autoregressive")), info, st["history"])
    print("%s: step %d, %d tokens" % (out, st["step"], st["tokens"]))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compact", help="write the compact (bfloat16) form of a checkpoint")
    c.add_argument("src")
    c.add_argument("dst")
    s = sub.add_parser("show", help="what a checkpoint holds")
    s.add_argument("path")
    n = sub.add_parser("step", help="the checkpoint's step")
    n.add_argument("path")
    e = sub.add_parser("export", help="an infilld model folder of the checkpoint's weights")
    e.add_argument("path")
    e.add_argument("out")
    a = ap.parse_args(argv)
    if a.cmd == "compact":
        save(a.dst, load(a.src), compact=True)
        print("%s -> %s: %.1f MB -> %.1f MB" % (a.src, a.dst, os.path.getsize(a.src) / 1e6,
                                                os.path.getsize(a.dst) / 1e6))
        return 0
    st = load(a.path)
    if a.cmd == "step":
        print(st["step"])
        return 0
    if a.cmd == "export":
        return export_folder(st, a.out)
    args = st.get("args", {})
    print("%s: step %d, %d tokens, %.0f s of training, schedule %s (%s steps), %s form, "
          "%.1f MB" % (a.path, st["step"], st["tokens"], st["seconds"],
                       args.get("schedule", "cosine"), args.get("steps"),
                       "compact" if st.get("compact") else "full",
                       os.path.getsize(a.path) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
