#!/usr/bin/env python3
"""Training data of the infilld FIM model: the tokenized corpus cache and the FIM sampler.

Tokenized corpus (tokenize_corpus; `fim_data.py tokenize`): every file of the corpus
shards (corpus.py's <language>.jsonl) encoded with tools/train/tokenizer.py's Python
encoder, special-token strings in the code encoded as plain text (a file holding
"<|eom|>" does not inject the special token). A budget (--max-mb of UTF-8 text) is
shared equally between languages (a language with less gives its rest to the others),
files taken in a seeded shuffled order. The cache folder is self-contained, so it can be
carried to another machine without the corpus or the tokenizer:
  tokens.npy      uint16 (uint32 when the vocabulary needs it): all files, concatenated
  docs.npy        int64 [files + 1]: file f is tokens[docs[f]:docs[f+1]]
  doc_lang.npy    uint8: language index (meta.json "languages") of each file
  val.npy         bool: the held-out files (crc32 of the text % 1000 < 10: about 1 %)
  newline.npy     bool [vocab]: tokens whose bytes hold a newline (line boundaries)
  tokenizer.json, tokenizer_config.json: copied, for the export
  meta.json       the key of the cache (tokenizer hash, shards, budget, seed) and counts
`fim_data.py pack --data DIR --out DIR2` copies it with tokens.npy as tokens.npy.xz (about
3x smaller, for the 64 MiB carry to the GPU machine); TokenData unpacks it on first use.

FIM examples (FimSampler.batch): a file is drawn with probability proportional to its
tokens, then a middle span of it (token boundaries; the regex pre-tokenizer keeps
newlines in tokens of their own, so "lines" are exact):
  line   35 %  one line with its newline (half of them from a random token inside the line:
               completing the rest of a line)
  lines  30 %  2-12 whole consecutive lines (cut at a line boundary to fit --max-middle)
  span   32 %  a random span of 1..max_middle tokens
  empty   3 %  nothing (the answer is <|eom|> at once)
The suffix is empty in 10 % of the examples; otherwise the context budget is shared,
the suffix taking a random 20-50 % of it and the prefix the rest (the nearer tokens; a
short side gives its rest to the other). Layout of one training row (length seq_len):
  [<|suffix|> S <|prefix|> P <|middle|>]  context, C tokens, positions 0..C-1
  [clean blocks]  the middle, then <|eom|>, then <|eom|> up to a multiple of L:
                  nb = ceil((k + 1) / L) blocks, positions C..C+nb*L-1
  [noisy blocks]  the same tokens and positions, each token replaced by <|mask|> with
                  probability t_b ~ U[t_min, 1] drawn per block (t = 1 when
                  autoregressive); the loss rows: masked positions, weight 1 / t_b
  [padding]       <|endoftext|>, stream PAD (seen by nothing, no loss)
The loss of a batch is sum(weight * CE) / sum(nb * L) over its rows: the MDLM / LLaDA
estimate of the middle's negative log-likelihood per token (exact next-token CE when
block length 1 and t = 1). ctx_target holds, for the optional context loss, the next
context token of each context row (shifted, unlike the middle's rows; -1 before the
separators <|prefix|> and <|middle|>).
"""
import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
import unicodedata
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tokenizer as tk  # noqa: E402

CTX, BLOCK, NOISY, PAD = 0, 1, 2, 3
MODES = (("line", 0.35), ("lines", 0.30), ("span", 0.32), ("empty", 0.03))

# ---------------------------------------------------------------------------------------
# tokenized corpus cache

_TOK = None


def _init_worker(tokenizer_dir):
    global _TOK
    _TOK = tk.Tokenizer(tokenizer_dir)


def encode_plain(text, tok=None):
    """Token ids of text with no special tokens (their strings are encoded as text)."""
    tok = tok or _TOK
    ids = []
    for piece in tk.split_isolated(tok.pretok, unicodedata.normalize("NFC", text)):
        ids.extend(tok._bpe(piece))
    return ids


def _encode_chunk(texts):
    return [np.asarray(encode_plain(t), dtype=np.uint32) for t in texts]


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:16]


def newline_flags(tokenizer_json):
    with open(tokenizer_json, encoding="utf-8") as f:
        tok = json.load(f)
    n = 1 + max([i for i in tok["model"]["vocab"].values()]
                + [e["id"] for e in tok["added_tokens"]])
    flags = np.zeros(n, dtype=bool)
    for s, i in tok["model"]["vocab"].items():
        flags[i] = 10 in bytes(tk.CHAR_BYTE[c] for c in s)
    return flags


def _budgets(sizes, total, weights=None):
    """Bytes per language: total shared in proportion to weights (default 1 each); a
    language with less than its share gives the rest to the others."""
    w = {l: float((weights or {}).get(l, 1.0)) for l in sizes}
    share, left = {}, total
    todo = sorted(sizes, key=lambda l: sizes[l] / w[l])
    while todo:
        lang = todo.pop(0)
        share[lang] = min(left * w[lang] / (w[lang] + sum(w[l] for l in todo)), sizes[lang])
        left -= share[lang]
    return share


def parse_weights(spec):
    """{"python": 3.0} from "python=3" (comma-separated; empty or None: {})."""
    out = {}
    for part in filter(None, (spec or "").split(",")):
        lang, _, w = part.partition("=")
        if lang not in tk.LANGUAGES or not w:
            raise SystemExit("fim_data: bad language weight %r (want LANG=W, LANG one of %s)"
                             % (part, ", ".join(tk.LANGUAGES)))
        out[lang] = float(w)
    return out


def tokenize_corpus(corpus_dir, tokenizer_dir, out_dir, max_mb=None, seed=0, workers=1,
                    log=print, lang_weights=None):
    """Build (or reuse) the tokenized cache in out_dir; returns its meta dict. The text
    budget is shared between languages in proportion to lang_weights (default equal)."""
    shards = sorted(f[:-6] for f in os.listdir(corpus_dir)
                    if f.endswith(".jsonl") and f[:-6] in tk.LANGUAGES)
    if not shards:
        raise SystemExit("fim_data: no <language>.jsonl in %s (run corpus.py)" % corpus_dir)
    tok_json = os.path.join(tokenizer_dir, "tokenizer.json")
    key = {"tokenizer": file_sha(tok_json), "max_mb": max_mb, "seed": seed,
           "weights": lang_weights or {},
           "shards": {l: os.path.getsize(os.path.join(corpus_dir, l + ".jsonl")) for l in shards}}
    meta_path = os.path.join(out_dir, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("key") == key:
            log("tokenized corpus: cached in %s (%d tokens)" % (out_dir, meta["tokens"]))
            return meta
    t0 = time.time()
    sizes = {l: os.path.getsize(os.path.join(corpus_dir, l + ".jsonl")) for l in shards}
    budget = _budgets(sizes, max_mb * 1e6 if max_mb else sum(sizes.values()), lang_weights)
    rng = random.Random(seed)
    texts, langs = [], []
    per_lang = {}
    for li, lang in enumerate(shards):
        with open(os.path.join(corpus_dir, lang + ".jsonl"), encoding="utf-8") as f:
            docs = [json.loads(line)["text"] for line in f]
        rng.shuffle(docs)
        n = 0
        for d in docs:
            if n >= budget[lang]:
                break
            texts.append(d)
            langs.append(li)
            n += len(d.encode("utf-8"))
        per_lang[lang] = {"files": langs.count(li), "bytes": n}
    chunks = [texts[i:i + 64] for i in range(0, len(texts), 64)]
    if workers > 1:
        import multiprocessing as mp
        with mp.Pool(workers, _init_worker, (tokenizer_dir,)) as pool:
            encoded = [a for part in pool.imap(_encode_chunk, chunks) for a in part]
    else:
        _init_worker(tokenizer_dir)
        encoded = [a for c in chunks for a in _encode_chunk(c)]
    flags = newline_flags(tok_json)
    dtype = np.uint16 if len(flags) <= 65536 else np.uint32
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in encoded], out=offsets[1:])
    tokens = np.concatenate(encoded).astype(dtype) if encoded else np.zeros(0, dtype)
    val = np.array([zlib.crc32(t.encode("utf-8")) % 1000 < 10 for t in texts], dtype=bool)
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "tokens.npy"), tokens)
    np.save(os.path.join(out_dir, "docs.npy"), offsets)
    np.save(os.path.join(out_dir, "doc_lang.npy"), np.asarray(langs, dtype=np.uint8))
    np.save(os.path.join(out_dir, "val.npy"), val)
    np.save(os.path.join(out_dir, "newline.npy"), flags)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        src = os.path.join(tokenizer_dir, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(out_dir, name))
    for lang, li in zip(shards, range(len(shards))):
        sel = np.asarray(langs) == li
        per_lang[lang]["tokens"] = int(sum(len(a) for a, s in zip(encoded, sel) if s))
    meta = {"key": key, "languages": shards, "files": len(texts), "tokens": int(len(tokens)),
            "val_files": int(val.sum()), "val_tokens": int(sum(len(a) for a, v in
                                                              zip(encoded, val) if v)),
            "vocab_size": int(len(flags)), "per_language": per_lang,
            "seconds": round(time.time() - t0, 1)}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    log("tokenized corpus: %d files, %d tokens (%.1f MB text, %.2f bytes/token) in %.0fs -> %s"
        % (len(texts), len(tokens), sum(v["bytes"] for v in per_lang.values()) / 1e6,
           sum(v["bytes"] for v in per_lang.values()) / max(1, len(tokens)),
           time.time() - t0, out_dir))
    return meta


def _xz(chunk):
    import lzma
    return lzma.compress(chunk, preset=6)


def pack(data_dir, out_dir, workers=2, chunk_mb=16):
    """A copy of the cache to carry to another machine: tokens.npy as tokens.npy.xz
    (concatenated xz streams of chunk_mb pieces, compressed by `workers` processes; about
    3x smaller); TokenData decompresses it to tokens.npy on first use."""
    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(data_dir):
        if name != "tokens.npy" and os.path.isfile(os.path.join(data_dir, name)):
            shutil.copyfile(os.path.join(data_dir, name), os.path.join(out_dir, name))
    with open(os.path.join(data_dir, "tokens.npy"), "rb") as f:
        raw = f.read()
    step = int(chunk_mb * 2 ** 20)
    chunks = [raw[i:i + step] for i in range(0, len(raw), step)]
    if workers > 1:
        import multiprocessing as mp
        with mp.Pool(workers) as pool:
            parts = pool.map(_xz, chunks)
    else:
        parts = [_xz(c) for c in chunks]
    dst = os.path.join(out_dir, "tokens.npy.xz")
    with open(dst, "wb") as f:
        for part in parts:
            f.write(part)
    size = os.path.getsize(dst)
    print("packed %s -> %s: %.1f MB -> %.1f MB (%.0fs)"
          % (data_dir, dst, len(raw) / 1e6, size / 1e6, time.time() - t0))


class TokenData:
    """The tokenized cache, loaded (tokens memory-mapped; a packed tokens.npy.xz is
    decompressed to tokens.npy first)."""

    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "meta.json")) as f:
            self.meta = json.load(f)
        path = os.path.join(folder, "tokens.npy")
        if not os.path.exists(path) and os.path.exists(path + ".xz"):
            import lzma
            with open(path + ".xz", "rb") as f:
                raw = lzma.decompress(f.read())
            with open(path + ".tmp", "wb") as f:
                f.write(raw)
            os.replace(path + ".tmp", path)
        self.tokens = np.load(path, mmap_mode="r")
        self.docs = np.load(os.path.join(folder, "docs.npy"))
        self.val = np.load(os.path.join(folder, "val.npy"))
        self.newline = np.load(os.path.join(folder, "newline.npy"))
        with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
            added = json.load(f)["added_tokens"]
        self.special = {e["content"]: e["id"] for e in added}
        self.vocab_size = len(self.newline)


# ---------------------------------------------------------------------------------------
# FIM examples

class FimSampler:
    def __init__(self, data, seq_len, block_length, max_middle, split="train", seed=0,
                 autoregressive=False, t_min=1e-3, empty_suffix=0.1, min_doc_tokens=16):
        self.d, self.S, self.L = data, seq_len, block_length
        self.max_middle, self.ar, self.t_min = max_middle, autoregressive, t_min
        self.empty_suffix = empty_suffix
        region = math.ceil((max_middle + 1) / block_length) * block_length
        if 2 * region + 3 + 8 > seq_len:
            raise ValueError("--max-middle %d with block length %d needs 2*%d + 11 <= "
                             "seq_len %d" % (max_middle, block_length, region, seq_len))
        sp = data.special
        self.ids = {k: sp["<|%s|>" % k] for k in ("suffix", "prefix", "middle", "mask", "eom",
                                                 "endoftext")}
        lens = np.diff(data.docs)
        keep = (data.val if split == "val" else ~data.val) & (lens >= min_doc_tokens)
        self.doc_ids = np.nonzero(keep)[0]
        if len(self.doc_ids) == 0:
            raise ValueError("no %s files of %d+ tokens" % (split, min_doc_tokens))
        self.cum = np.cumsum(lens[self.doc_ids])
        self.seed = list(seed) if isinstance(seed, (list, tuple)) else [seed]
        self.rng = np.random.default_rng(self.seed)
        self.modes = [m for m, _ in MODES]
        self.mode_p = np.array([p for _, p in MODES])

    def _line_bounds(self, nl, at):
        """(start, end) of the line holding token `at` (end after its newline token)."""
        n = len(nl)
        before = np.nonzero(nl[:at])[0]
        start = int(before[-1]) + 1 if len(before) else 0
        after = np.nonzero(nl[at:])[0]
        end = at + int(after[0]) + 1 if len(after) else n
        return start, end

    def _middle(self, doc, nl):
        """(s, e): the middle is doc[s:e]."""
        r, n, M = self.rng, len(doc), min(self.max_middle, len(doc) - 1)
        mode = self.modes[r.choice(len(self.modes), p=self.mode_p)]
        at = int(r.integers(0, n))
        if mode == "empty":
            return at, at
        if mode == "span":
            k = int(r.integers(1, M + 1))
            s = int(r.integers(0, n - k + 1))
            return s, s + k
        s, e = self._line_bounds(nl, at)
        if mode == "line":
            if r.random() < 0.5 and e - s > 1:
                s = int(r.integers(s, e))
            return s, min(e, s + M)
        want = int(r.integers(2, 13))
        ends = np.nonzero(nl[s:])[0] + s + 1
        e = int(ends[min(want, len(ends)) - 1]) if len(ends) else n
        if e - s > M:
            fit = ends[(ends > s) & (ends <= s + M)]
            e = int(fit[-1]) if len(fit) else s + M
        return s, e

    def example(self):
        """Arrays (ids, pos, stream, blk, target, weight, ctx_target) of one row, and
        its nb*L (the middle positions)."""
        r, S, L, ids = self.rng, self.S, self.L, self.ids
        f = self.doc_ids[int(np.searchsorted(self.cum, r.integers(0, self.cum[-1]), "right"))]
        doc = np.asarray(self.d.tokens[self.d.docs[f]:self.d.docs[f + 1]], dtype=np.int64)
        nl = self.d.newline[doc]
        s, e = self._middle(doc, nl)
        mid = doc[s:e]
        nb = math.ceil((len(mid) + 1) / L)
        region = nb * L
        budget = S - 2 * region - 3
        if r.random() < self.empty_suffix:
            n_suf = 0
        else:
            n_suf = min(len(doc) - e, int(budget * r.uniform(0.2, 0.5)))
        n_pre = min(s, budget - n_suf)
        n_suf = min(len(doc) - e, budget - n_pre) if n_suf else 0
        ctx = np.concatenate([[ids["suffix"]], doc[e:e + n_suf], [ids["prefix"]],
                              doc[s - n_pre:s], [ids["middle"]]])
        C = len(ctx)
        clean = np.full(region, ids["eom"], dtype=np.int64)
        clean[:len(mid)] = mid
        if self.ar:
            t = np.ones(nb)
        else:
            t = self.t_min + (1.0 - self.t_min) * r.random(nb)
        tpos = np.repeat(t, L)
        masked = r.random(region) < tpos
        noisy = np.where(masked, ids["mask"], clean)
        used = C + 2 * region
        row_ids = np.full(S, ids["endoftext"], dtype=np.int64)
        row_ids[:used] = np.concatenate([ctx, clean, noisy])
        pos = np.zeros(S, dtype=np.int64)
        mpos = np.arange(C, C + region)
        pos[:used] = np.concatenate([np.arange(C), mpos, mpos])
        stream = np.full(S, PAD, dtype=np.int64)
        stream[:used] = np.concatenate([np.full(C, CTX), np.full(region, BLOCK),
                                        np.full(region, NOISY)])
        blk = np.zeros(S, dtype=np.int64)
        bidx = np.arange(region) // L
        blk[C:used] = np.concatenate([bidx, bidx])
        target = np.full(S, -1, dtype=np.int64)
        weight = np.zeros(S, dtype=np.float32)
        sl = slice(C + region, used)
        target[sl] = np.where(masked, clean, -1)
        weight[sl] = np.where(masked, 1.0 / tpos, 0.0)
        # the optional context loss (train.py --context-loss): context row i predicts
        # context token i + 1 (shifted), except the separators <|prefix|> and <|middle|>
        nxt = ctx[1:]
        ctx_target = np.full(S, -1, dtype=np.int64)
        ctx_target[:C - 1] = np.where((nxt == ids["prefix"]) | (nxt == ids["middle"]), -1, nxt)
        return (row_ids, pos, stream, blk, target, weight, ctx_target), region

    def batch(self, B, step=None):
        """dict of numpy arrays [B, S] (ids, pos, stream, blk, target, weight, ctx_target) and
        n_middle (sum of nb*L: the loss's denominator) and tokens (non-padding). With a
        step, the batch depends on (seed, step) only: a resumed run sees the same data as
        an uninterrupted one (the data position of a checkpoint is its step)."""
        if step is not None:
            self.rng = np.random.default_rng(self.seed + [int(step)])
        rows, n_mid = zip(*(self.example() for _ in range(B)))
        names = ("ids", "pos", "stream", "blk", "target", "weight", "ctx_target")
        out = {k: np.stack([row[i] for row in rows]) for i, k in enumerate(names)}
        out["n_middle"] = int(sum(n_mid))
        out["tokens"] = int((out["stream"] != PAD).sum())
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenize", help="build the tokenized corpus cache")
    t.add_argument("--corpus", default=os.path.join(REPO, "build", "corpus"))
    t.add_argument("--tokenizer", default=os.path.join(REPO, "build", "tokenizer"))
    t.add_argument("--out", default=os.path.join(REPO, "build", "tokenized"))
    t.add_argument("--max-mb", type=float, help="text budget (MB), shared by the languages")
    t.add_argument("--workers", type=int, default=1)
    t.add_argument("--seed", type=int, default=0)
    pk = sub.add_parser("pack", help="copy the cache with tokens.npy xz-compressed (to carry)")
    pk.add_argument("--data", default=os.path.join(REPO, "build", "tokenized"))
    pk.add_argument("--out", required=True)
    pk.add_argument("--workers", type=int, default=2)
    s = sub.add_parser("show", help="print FIM examples as text")
    s.add_argument("--data", default=os.path.join(REPO, "build", "tokenized"))
    s.add_argument("-n", type=int, default=3)
    s.add_argument("--seq-len", type=int, default=256)
    s.add_argument("--block-length", type=int, default=8)
    s.add_argument("--max-middle", type=int, default=48)
    s.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "tokenize":
        tokenize_corpus(a.corpus, a.tokenizer, a.out, a.max_mb, a.seed, a.workers)
        return 0
    if a.cmd == "pack":
        pack(a.data, a.out, a.workers)
        return 0
    data = TokenData(a.data)
    tok = tk.Tokenizer(a.data)
    smp = FimSampler(data, a.seq_len, a.block_length, a.max_middle, seed=a.seed)
    for _ in range(a.n):
        (ids, pos, stream, blk, target, weight, _), region = smp.example()
        used = stream != PAD
        print("=" * 70)
        for name, st in (("context", CTX), ("clean", BLOCK), ("noisy", NOISY)):
            print("--- %s (%d tokens):" % (name, int((stream == st).sum())))
            print(tok.decode([int(i) for i in ids[used & (stream == st)]]))
        print("--- loss rows %d, weights %s" % (int((target >= 0).sum()),
                                                sorted(set(np.round(weight[target >= 0], 2)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
