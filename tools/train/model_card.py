#!/usr/bin/env python3
"""Write the model card (README.md) of an exported infilld FIM model from the figures its
training and evaluation recorded: nothing in the card's numbers is typed by hand.

    model_card.py --model models/default --baseline build/model-default-ar
        --corpus build/corpus --eval R1.json [R2.json ...] [--note TEXT]
    model_card.py --model models/default --eval R.json [--floors F.json]   (recipe v2)

Reads <model>/training.json and loss.csv (train.py / export.py), the baseline's
training.json (recipe v1: the diffusion model's autoregressive twin; recipe v2 trains the
autoregressive model first, so it has none until its block-diffusion adaptation), the corpus's stats.json (corpus.py: sources, licences, deduplication,
decontamination) and HumanEval-Infilling reports (tools/eval/humaneval_infilling.py
--out). Writes <model>/README.md and <model>/data.json (the corpus summary the card
cites), and copies the baseline's training.json, loss.csv and loss.svg to
<model>/baseline/ (the baseline itself is not shipped).
"""
import argparse
import datetime
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def mb(n):
    return "%.1f MB" % (n / 1e6)


def millions(n):
    return "%.1fM" % (n / 1e6)


def duration(s):
    s = int(round(s))
    return "%d h %02d min" % (s // 3600, s % 3600 // 60) if s >= 3600 else "%d min" % (s // 60)


def pct(x):
    return "-" if x is None else "%.1f%%" % (100 * x)


def num(x, digits=1):
    return "-" if x is None else "%.*f" % (digits, x)


def mean(d, key="mean"):
    return None if not d else d.get(key)


def eval_rows(reports):
    """(model label, decoding flags, subset, figures, report) for every model of every
    report, in order."""
    rows = []
    for r in reports:
        for label, figs in r["figures"].items():
            flags = r["models"][label]["flags"]
            for subset, f in figs.items():
                if subset != "all":
                    rows.append((label, flags, subset, f, r))
    return rows


SHARED_FLAGS = {"--stdin": 0, "--json": 0, "--temperature": 1, "--language": 1}  # flag: values


def decoding(flags):
    """The flags that set the decoding, without the ones every run shares."""
    words, keep, i = flags.split(), [], 0
    while i < len(words):
        if words[i] in SHARED_FLAGS:
            i += 1 + SHARED_FLAGS[words[i]]
        else:
            keep.append(words[i])
            i += 1
    return " ".join(keep) or "defaults"


def eval_table(reports):
    out = ["| model | decoding | subset | tasks | pass@1 | SyntaxError | exact match "
           "| forwards / completion | tokens / forward | engine ms p50 | engine ms mean |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, flags, subset, f, _ in eval_rows(reports):
        out.append("| %s | `%s` | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            label, decoding(flags), subset, f["tasks"], pct(f["pass@1"]),
            pct(f.get("syntax_error_share")), pct(f["exact_match"]),
            num(mean(f["forwards"]), 2), num(mean(f["tokens_per_forward"]), 2),
            num(mean(f["total_ms"], "p50")), num(mean(f["total_ms"]))))
    return out


def floors_table(floors):
    """The floors (tools/eval/he_floors.py) per subset: pass@1 and SyntaxError share."""
    figs = floors["floors"]["figures"]
    out = ["| floor | subset | tasks | pass@1 | SyntaxError |", "| --- | --- | ---: | ---: | ---: |"]
    for name, per in figs.items():
        for subset, f in per.items():
            if subset != "all":
                out.append("| `%s` | %s | %d | %s | %s |" % (
                    name or "(empty)", subset, f["tasks"], pct(f["pass@1"]),
                    pct(f["syntax_error_share"])))
    return out


def data_summary(stats, training):
    d = training["data"]
    return {"corpus": {"total": stats.get("total"), "languages": stats.get("languages"),
                       "licences": stats.get("licences"), "sources": stats.get("sources"),
                       "npm_rejected": stats.get("npm_rejected"),
                       "dropped": stats.get("dropped"),
                       "decontamination": stats.get("decontamination")},
            "trained_on": {"files": d["files"], "tokens": d["tokens"],
                           "per_language": d.get("per_language"), "val_split": d["val_split"]}}


def card(model_dir, training, base_training, cfg, stats, reports, note, floors=None):
    a = training["args"]
    ar = bool(training.get("autoregressive"))
    weights = sum(os.path.getsize(os.path.join(model_dir, n)) for n in os.listdir(model_dir)
                  if n.endswith(".safetensors"))
    on_gpu = a.get("device", "cpu").startswith("cuda")
    langs = stats.get("languages", {})
    lic = stats.get("licences", {})
    sources = stats.get("sources") or []
    machines = sorted({"%s, %s cores" % (r["machine"]["cpu"], r["machine"]["cores"])
                       for r in reports})
    L = []
    L += ["# infilld default model: %s-parameter %s code model (infilld FIM)"
          % (millions(training["params"]), "autoregressive" if ar else "masked-diffusion"), ""]
    L += ["The model infilld uses when no other is named (src/cli/model_dir.h: `--model`, "
          "`INFILLD_MODEL`, the user data dir, the installed `share/infilld/models/default`, "
          "then this folder). It exists so that a fresh machine, with nothing downloaded, gets "
          "real completions; it is small and was trained briefly, so its suggestions are "
          "short, often plausible and often wrong. For useful completions load a public "
          "checkpoint (Dream-Coder, DiffuCoder, ...) with `--model`.", ""]
    if not on_gpu:
        L += ["**Trained on the CPU.** No GPU was lent to the session that trained it, so this "
              "is the smaller CPU configuration (`--config %s`), trained for %s on %s. The "
              "GPU configuration (`--config gpu`, %s) is the one to train when a GPU is at hand."
              % (training["config"], duration(training["train_seconds"]), training["hardware"],
                 "7 layers, hidden 384, about 15M parameters"), ""]
    if note:
        L += [note, ""]
    if a.get("config") == "v2":
        L += recipe_v2(training, a)
    L += ["## The model", ""]
    L += ["| | |", "| --- | --- |",
          "| format | `model_type: infilld_fim` (DESIGN.md section 6): suffix-first FIM, causal "
          "attention over the context, bidirectional inside each block of %d masks and to "
          "earlier blocks, `<|eom|>` ends the middle |" % cfg["block_length"],
          "| shape | %d layers, hidden %d, %d heads (%d KV), SwiGLU %d, RoPE theta %g, tied "
          "embeddings |" % (cfg["num_hidden_layers"], cfg["hidden_size"],
                            cfg["num_attention_heads"], cfg["num_key_value_heads"],
                            cfg["intermediate_size"], cfg["rope_theta"]),
          "| parameters | %d (%s) |" % (training["params"], millions(training["params"])),
          "| weights | %s, %s (model.safetensors) |" % (mb(weights), cfg.get("torch_dtype")),
          "| context | %d positions (prompt + middle) |" % cfg["max_position_embeddings"],
          "| tokenizer | byte-level BPE, %d tokens, trained on the same corpus "
          "(tools/train/tokenizer.py) |" % cfg["vocab_size"], ""]
    L += ["## Data and licences", ""]
    L += ["Built by `tools/train/corpus.py` from permissively licensed source code in Debian 12's "
          "packages and popular npm packages; every file's origin and licence is recorded "
          "(data.json here summarises them). %d files, %s after deduplication (%d exact and %d "
          "near duplicates dropped) and filtering (generated, minified, data and too large "
          "files dropped)." % (stats["total"]["files"], mb(stats["total"]["bytes"]),
                               stats["dropped"].get("exact_duplicate", 0),
                               stats["dropped"].get("near_duplicate", 0)), ""]
    dc = stats.get("decontamination", {})
    L += ["Decontaminated against the evaluation data (../shared/data: HumanEval, "
          "HumanEval-Infilling, SAFIM): %d functions removed by name and body or by a shared "
          "window of lines (%s)." % (dc.get("functions_removed", 0),
                                     ", ".join("%s %d" % kv for kv in
                                               sorted(dc.get("by_benchmark", {}).items()))
                                     or "none found"), ""]
    L += ["| language | files | bytes |", "| --- | ---: | ---: |"]
    L += ["| %s | %d | %s |" % (k, v["files"], mb(v["bytes"])) for k, v in sorted(langs.items())]
    L += ["", "| licence | files | bytes |", "| --- | ---: | ---: |"]
    L += ["| %s | %d | %s |" % (k, v["files"], mb(v["bytes"])) for k, v in sorted(lic.items())]
    L += ["", "Sources (Debian package or npm package, version, licence): " +
          "; ".join("%s %s (%s)" % (s["package"], s["version"], s["licence"])
                    for s in sources) + ".", ""]
    d = training["data"]
    L += ["Training used a sample of %s tokens in %d files, spread over the languages (the "
          "tokenized cache of train.py, %d tokens held out for validation by file hash)."
          % (millions(d["tokens"]), d["files"], d.get("val_tokens", 0) or 0)
          if "val_tokens" in d else
          "Training used a sample of %s tokens in %d files, spread over the languages."
          % (millions(d["tokens"]), d["files"]), ""]
    L += ["## Training", ""]
    L += ["| | |", "| --- | --- |",
          "| command | `tools/train/retrain.sh%s` (see below) |"
          % (" --config v2" if a.get("config") == "v2" else ""),
          "| objective | %s |" % objective(a, ar),
          "| steps | %d of batch %d x %d positions |" % (training["steps"], a["batch"],
                                                        a["seq_len"]),
          "| tokens seen | %s (%d) |" % (millions(training["tokens_seen"]),
                                         training["tokens_seen"]),
          "| optimiser | AdamW (0.9, 0.95), lr %g, %d warm-up steps, %s to %g x, weight "
          "decay %g, clip %g |" % (a["lr"], a["warmup"], schedule(a), a["min_lr_ratio"],
                                   a["weight_decay"], a["clip"]),
          "| time | %s of training (%d tokens/s) |" % (duration(training["train_seconds"]),
                                                     training["tokens_per_second"]),
          "| hardware | %s; PyTorch %s, %s compute |" % (training["hardware"],
                                                       training["torch"], a["dtype"]),
          "| loss | %.3f at the first step, %.3f at the last; validation %.3f%s |"
          % (training["first_train_loss"], training["last_train_loss"], training["val_loss"],
             "" if ar else " (masked CE %.3f)" % training["val_masked_ce"]), ""]
    L += ["![training loss](loss.svg)", "",
          "loss.csv has the figures%s." % ("" if base_training is None else
                                           "; the autoregressive baseline's are in baseline/"), ""]
    L += ["## Evaluation", ""]
    L += ["HumanEval-Infilling (../shared/data) through `infilld complete` (one process per "
          "task, greedy, one sample: pass@1), the completion executed with its tests in a "
          "subprocess with a timeout (tools/eval/humaneval_infilling.py, whose --check-harness "
          "shows that the canonical middles pass and wrong ones fail). Exact match: the "
          "completion equals the canonical middle, whitespace stripped. Forwards and engine "
          "latency come from the engine's own statistics; the models ran interleaved in one "
          "run on %s." % "; ".join(machines), ""]
    if base_training is not None:
        L += ["The autoregressive baseline is the same network trained on the same data for the "
              "same number of steps with block length 1 and causal attention (`train.py "
              "--autoregressive`): %s tokens seen in %s, final validation loss %.3f (a "
              "next-token cross-entropy, not comparable with the diffusion loss). It decodes "
              "one token per forward through the same engine."
              % (millions(base_training["tokens_seen"]),
                 duration(base_training["train_seconds"]), base_training["val_loss"]), ""]
    L += eval_table(reports)
    if floors is not None:
        L += ["", "The floors on the same tasks (tools/eval/he_floors.py): what writing nothing "
              "useful scores, executed as the completions are. A model below them breaks "
              "programs an empty line would have left passing.", ""]
        L += floors_table(floors)
    subsets = ", ".join("%s: %d tasks (sample seed %s)" % (
        "+".join(r["data"]["subsets"]) if isinstance(r["data"]["subsets"], list)
        else r["data"]["subsets"], r["data"]["tasks"], r["data"]["sample_seed"])
        for r in reports)
    L += ["", "Tasks per run: %s; `--limit` samples each subset with a fixed seed, the same "
          "tasks for every row. The reports are in bench/results/ (%s)." % (
              subsets, ", ".join(os.path.basename(r["_path"]) for r in reports)), ""]
    L += ["## Use", "",
          "```sh",
          "build/infilld complete --show examples/primes.py:10:9     # finds this folder itself",
          "build/infilld lsp                                         # editors: the same",
          "```", "",
          "Decoding defaults (src/engine/denoise/decode_options.cpp): blocks of the model's "
          "length, confidence order, one token per forward; `--threshold T` reveals every "
          "token above confidence T in one forward (fewer forwards, see the table).", ""]
    L += ["## Retraining", "",
          "```sh",
          "tools/train/retrain.sh            # corpus, tokenizer, both models, evaluation, this card",
          "tools/train/retrain.sh --config gpu --device cuda   # the bigger model on a GPU",
          "```", "",
          "The smallest configuration (`train.py --config small`) trains in minutes on the CPU; "
          "tests/train/test_train_small.py runs it and checks that the exported folder loads "
          "in infilld, matches the PyTorch logits and completes.", ""]
    L += ["Card written by tools/train/model_card.py on %s." % datetime.date.today().isoformat(),
          ""]
    return "\n".join(L)


def objective(a, ar):
    spans = ("spans mix single lines (35 %), 2-12 lines (30 %), random spans (32 %) and empty "
             "middles (3 %); the suffix is empty in 10 % of the examples (FIM rate 0.9)")
    if ar:
        return ("autoregressive FIM in the infilld layout: blocks of one `<|mask|>`, each "
                "predicting the middle's next token from the context and the tokens before it "
                "(exactly next-token prediction), plus the next-token cross-entropy of every "
                "context row (weight %g, %d %% of the rows); %s" % (
                    a.get("context_loss", 0), round(100 * a.get("context_rows", 1)), spans))
    return ("masked diffusion over blocks of the middle: per block a noise level t ~ U[%g, 1], "
            "each middle position masked with probability t, cross-entropy on the masked "
            "positions weighted by 1/t; %s" % (a["t_min"], spans))


def schedule(a):
    if a.get("schedule") == "wsd":
        return ("warmup-stable-decay (constant, then linear over the last %d %% of the steps)"
                % round(100 * a["decay_frac"]))
    return "cosine"


def recipe_v2(training, a):
    """The recipe v2 paragraph: what was chosen and why, and where the next round resumes."""
    return [
        "**Recipe v2, autoregressive first.** At this scale masked diffusion needs about 16x "
        "the compute of an autoregressive model for the same loss (Nie et al., \"Scaling up "
        "Masked Diffusion Models on Text\"), while autoregressive models adapted to block "
        "diffusion keep their quality with a small adaptation budget (SDAR, Fast-dLLM v2, "
        "Tiny-A2D). So the network is trained first as an autoregressive model in the infilld "
        "FIM layout (block length 1), which infilld decodes one token per forward; the "
        "block-diffusion adaptation (blocks of 8, `train.py --init-from`) is the next step. "
        "FIM rate 0.9 with the suffix first (Bavarian et al. 2022, \"Efficient Training of "
        "Language Models to Fill in the Middle\": 0.9 beats 0.5 on single-line infilling "
        "without hurting left-to-right loss; suffix-first beats prefix-first), line-level "
        "spans mixed with random ones. Python has three shares of the %s text budget (the "
        "evaluation is Python), the other languages one each. A warmup-stable-decay schedule "
        "(as in MiniCPM) lets training stop and resume: each round ends with a short decay "
        "for its release, and the next round resumes from models/training/v2/"
        "stable.pt, the compact "
        "(bfloat16) checkpoint taken where this round's decay began (weights, AdamW state and "
        "the data position; `tools/train/retrain.sh --config v2`)." % (
            "%g MB" % a["max_mb"] if a.get("max_mb") else "whole"), ""]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=os.path.join(REPO, "models", "default"))
    p.add_argument("--baseline", help="the autoregressive baseline's folder (recipe v1)")
    p.add_argument("--floors", help="a humaneval_infilling.py report holding the floors")
    p.add_argument("--corpus", default=os.path.join(REPO, "build", "corpus"))
    p.add_argument("--eval", nargs="+", required=True, help="humaneval_infilling.py reports")
    p.add_argument("--note", default="", help="a paragraph for the card's introduction")
    a = p.parse_args(argv)
    training = load(os.path.join(a.model, "training.json"))
    base_training = load(os.path.join(a.baseline, "training.json")) if a.baseline else None
    cfg = load(os.path.join(a.model, "config.json"))
    stats = load(os.path.join(a.corpus, "stats.json"))
    reports = []
    for path in a.eval:
        r = load(path)
        r["_path"] = path
        reports.append(r)
    with open(os.path.join(a.model, "data.json"), "w", encoding="utf-8") as f:
        json.dump(data_summary(stats, training), f, indent=1)
        f.write("\n")
    if a.baseline:
        base_out = os.path.join(a.model, "baseline")
        os.makedirs(base_out, exist_ok=True)
        for name in ("training.json", "loss.csv", "loss.svg"):
            if os.path.exists(os.path.join(a.baseline, name)):
                shutil.copyfile(os.path.join(a.baseline, name), os.path.join(base_out, name))
    floors = load(a.floors) if a.floors else next((r for r in reports if "floors" in r), None)
    text = card(a.model, training, base_training, cfg, stats, reports, a.note, floors)
    with open(os.path.join(a.model, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)
    print("model card: %s" % os.path.join(a.model, "README.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
