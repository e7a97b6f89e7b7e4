#!/usr/bin/env python3
"""Train the byte-level BPE tokenizer of the infilld FIM model, and encode with it.

    /usr/bin/python3 tools/train/tokenizer.py train [--corpus build/corpus]
        [--out build/tokenizer] [--vocab-size 12288] [--sample-mb 40] [--seed 0]
    /usr/bin/python3 tools/train/tokenizer.py encode --tokenizer DIR TEXT
    /usr/bin/python3 tools/train/tokenizer.py decode --tokenizer DIR IDS

The tokenizer is Qwen2's kind, which infilld's C++ tokenizer loads (tokenizer.json:
NFC normalizer, Split pre-tokenizer with the Qwen2 regex, ByteLevel without its own regex,
BPE model with vocab and merges, added tokens): ids 0-255 are the 256 bytes (in GPT-2's
byte-to-unicode order), then one token per learned merge, then the special tokens of the
format, in this order: <|endoftext|> <|suffix|> <|prefix|> <|middle|> <|mask|> <|eom|>.
--vocab-size counts them all (default 12288 = 12k: a multiple of 64, so an embedding of
exactly this size needs no padding).

Training (standard library + the `regex` module, Debian's python3-regex, for \\p{L}; the
byte map, the regex and the tokenizer.json layout are tools/tiny_checkpoint.py's, which
imports NumPy):
a sample of the corpus with an equal share per language, split on the special tokens,
NFC-normalised and pre-tokenized with the regex (its \\s rewritten to Oniguruma's Unicode
whitespace set, as the C++ loader does for PCRE2); the distinct pieces and their counts
are merged greedily, most frequent pair first (ties: the lower ids), with incremental pair
counts and a lazy heap. Written to --out: tokenizer.json, tokenizer_config.json and
training.json (sample, time, bytes per token per language on held-out files).

Encoding (class Tokenizer) is the reference the C++ tokenizer is tested against
(tests/train/test_tokenizer_roundtrip.py): added tokens first (longest match), NFC,
regex pieces, then BPE merging the lowest-ranked pair, leftmost first.
"""
import argparse
import heapq
import json
import os
import random
import sys
import time
import unicodedata
from collections import Counter, defaultdict

try:
    import regex
except ImportError:  # pragma: no cover
    regex = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
# bytes_to_unicode: GPT-2's byte -> printable unicode map, in GPT-2 vocabulary order,
# [(byte, char)]; QWEN2_REGEX: Qwen2's pre-tokenizer regex; tokenizer_json: the
# tokenizer.json layout of Qwen2's byte-level BPE
from tiny_checkpoint import QWEN2_REGEX, bytes_to_unicode, tokenizer_json  # noqa: E402

# The corpus shards (tools/train/corpus_sources.py LANGUAGES): <language>.jsonl
LANGUAGES = ("python", "go", "rust", "c", "cpp", "javascript", "typescript")
SPECIAL_TOKENS = ["<|endoftext|>", "<|suffix|>", "<|prefix|>", "<|middle|>", "<|mask|>",
                  "<|eom|>"]
# Oniguruma's Unicode \s (what Hugging Face's tokenizers and infilld's loader use).
_SPACE_ITEMS = "\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


BYTE_CHAR = dict(bytes_to_unicode())
CHAR_BYTE = {c: b for b, c in BYTE_CHAR.items()}


def with_oniguruma_whitespace(pattern):
    """\\s and \\S -> the explicit Oniguruma whitespace set (inside and outside classes)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            d = pattern[i + 1]
            if d == "s":
                out.append(_SPACE_ITEMS if in_class else "[" + _SPACE_ITEMS + "]")
            elif d == "S" and not in_class:
                out.append("[^" + _SPACE_ITEMS + "]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class and c == "]":
            in_class = False
        elif not in_class and c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern[i:i + 1] == "^":
                out.append("^")
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_pretokenizer(pattern=QWEN2_REGEX):
    if regex is None:
        raise SystemExit("tokenizer: the `regex` module is missing (apt-get install python3-regex)")
    return regex.compile(with_oniguruma_whitespace(pattern))


def split_special(text, specials):
    """[(segment, special id or None)]: leftmost, longest match of the special tokens."""
    if not specials or not any(s in text for s in specials):
        return [(text, None)] if text else []
    by_first = defaultdict(list)
    for s, tid in specials.items():
        by_first[s[0]].append((s, tid))
    for v in by_first.values():
        v.sort(key=lambda e: -len(e[0]))
    out, start, i = [], 0, 0
    while i < len(text):
        for s, tid in by_first.get(text[i], ()):
            if text.startswith(s, i):
                if i > start:
                    out.append((text[start:i], None))
                out.append((s, tid))
                i += len(s)
                start = i
                break
        else:
            i += 1
    if start < len(text):
        out.append((text[start:], None))
    return out


def split_isolated(pretok, text):
    """Every match and every non-empty stretch between matches, in order (the pattern
    matches everything, so stretches never occur; kept for exactness)."""
    out, end = [], 0
    for m in pretok.finditer(text):
        a, z = m.span()
        if z <= a:
            continue
        if a > end:
            out.append(text[end:a])
        out.append(text[a:z])
        end = z
    if end < len(text):
        out.append(text[end:])
    return out


def pieces(text, pretok, specials):
    """The pre-tokenized pieces of text (str), special tokens left out."""
    for seg, tid in split_special(text, specials):
        if tid is None:
            yield from split_isolated(pretok, unicodedata.normalize("NFC", seg))


# ---------------------------------------------------------------------------------------
# training

def train_bpe(word_counts, vocab_size, min_frequency=2, log=print):
    """word_counts: {piece: count}. Returns (token strings by id, merges as string pairs)."""
    byte_id = {b: i for i, (b, _) in enumerate(bytes_to_unicode())}
    tokens = [ch for _, ch in bytes_to_unicode()]
    token_id = {t: i for i, t in enumerate(tokens)}
    words, freqs = [], []
    for w, c in word_counts.items():
        ids = [byte_id[b] for b in w.encode("utf-8")]
        if len(ids) >= 2:
            words.append(ids)
            freqs.append(c)
    pair_count = defaultdict(int)
    where = defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for p in zip(w, w[1:]):
            pair_count[p] += f
            where[p].add(wi)
    heap = [(-c, a, b) for (a, b), c in pair_count.items()]
    heapq.heapify(heap)
    merges, merged = [], set()
    t0 = time.time()
    while len(tokens) < vocab_size and heap:
        negc, a, b = heapq.heappop(heap)
        if pair_count.get((a, b), 0) != -negc:
            continue  # stale entry
        if -negc < min_frequency:
            break
        new = tokens[a] + tokens[b]
        nid = token_id.get(new)
        if nid is None:
            nid = token_id[new] = len(tokens)
            tokens.append(new)
        if (a, b) not in merged:
            merged.add((a, b))
            merges.append((tokens[a], tokens[b]))
        delta = defaultdict(int)
        for wi in where.pop((a, b), ()):
            w = words[wi]
            out, i, n, hit = [], 0, len(w), False
            while i < n:
                if i + 1 < n and w[i] == a and w[i + 1] == b:
                    out.append(nid)
                    i += 2
                    hit = True
                else:
                    out.append(w[i])
                    i += 1
            if not hit:
                continue
            f = freqs[wi]
            for p in zip(w, w[1:]):
                delta[p] -= f
            for p in zip(out, out[1:]):
                delta[p] += f
                where[p].add(wi)
            words[wi] = out
        for p, d in delta.items():
            if d == 0:
                continue
            c = pair_count.get(p, 0) + d
            if c <= 0:
                pair_count.pop(p, None)
            else:
                pair_count[p] = c
                heapq.heappush(heap, (-c, p[0], p[1]))
        pair_count.pop((a, b), None)
        if len(merges) % 2000 == 0:
            log("  %d merges, %d tokens, last %r x%d (%.0fs)"
                % (len(merges), len(tokens), new, -negc, time.time() - t0))
    return tokens, merges


def sample_corpus(corpus_dir, sample_bytes, seed, held_out_bytes=0):
    """({language: [texts]}, {language: [held-out texts]}): about sample_bytes in all,
    an equal share per language (a language with less gives its rest to the others)."""
    shards = sorted(f for f in os.listdir(corpus_dir) if f[:-6] in LANGUAGES
                    and f.endswith(".jsonl"))
    if not shards:
        raise SystemExit("tokenizer: no <language>.jsonl shards in %s (run corpus.py)" % corpus_dir)
    sizes = {f[:-6]: os.path.getsize(os.path.join(corpus_dir, f)) for f in shards}
    share, left, todo = {}, sample_bytes, sorted(sizes, key=sizes.get)
    while todo:
        each = left / len(todo)
        lang = todo.pop(0)
        share[lang] = min(each, sizes[lang] * 0.9)
        left -= share[lang]
    rng = random.Random(seed)
    train, held = {}, {}
    for lang in sorted(sizes):
        docs = []
        with open(os.path.join(corpus_dir, lang + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                docs.append(json.loads(line)["text"])
        rng.shuffle(docs)
        held[lang], train[lang] = [], []
        h = t = 0
        held_target = min(held_out_bytes, 0.1 * sizes[lang])
        for d in docs:
            n = len(d.encode("utf-8"))
            if h < held_target:
                held[lang].append(d)
                h += n
            elif t < share[lang]:
                train[lang].append(d)
                t += n
    return train, held


def build_tokenizer_json(tokens, merges):
    vocab = {t: i for i, t in enumerate(tokens)}
    added = []
    for k, content in enumerate(SPECIAL_TOKENS):
        added.append({"id": len(tokens) + k, "content": content, "single_word": False,
                      "lstrip": False, "rstrip": False, "normalized": False, "special": True})
    return tokenizer_json(added, vocab, ["%s %s" % m for m in merges], ignore_merges=False)


def build_tokenizer_config(tok):
    decoder = {}
    for e in tok["added_tokens"]:
        decoder[str(e["id"])] = {k: e[k] for k in ("content", "lstrip", "normalized",
                                                   "rstrip", "single_word", "special")}
    return {"add_bos_token": False, "add_prefix_space": False,
            "added_tokens_decoder": decoder, "additional_special_tokens": SPECIAL_TOKENS[1:],
            "bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
            "mask_token": "<|mask|>", "unk_token": None, "clean_up_tokenization_spaces": False,
            "errors": "replace", "model_max_length": 8192, "split_special_tokens": False,
            "tokenizer_class": "PreTrainedTokenizerFast"}


def save(out_dir, tok, info=None):
    os.makedirs(out_dir, exist_ok=True)
    for name, obj in (("tokenizer.json", tok), ("tokenizer_config.json",
                                                 build_tokenizer_config(tok)),
                      ("training.json", info)):
        if obj is None:
            continue
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1 if name != "tokenizer.json" else None)
            f.write("\n")


def train(corpus_dir, out_dir, vocab_size=12288, sample_mb=40.0, seed=0, min_frequency=2,
          log=print):
    t0 = time.time()
    n_regular = vocab_size - len(SPECIAL_TOKENS)
    if n_regular <= 256:
        raise SystemExit("tokenizer: --vocab-size must exceed %d" % (256 + len(SPECIAL_TOKENS)))
    train_docs, held = sample_corpus(corpus_dir, sample_mb * 1e6, seed, held_out_bytes=200_000)
    pretok = compile_pretokenizer()
    specials = {s: i for i, s in enumerate(SPECIAL_TOKENS)}
    counts = Counter()
    sample_info = {}
    for lang, docs in train_docs.items():
        n = 0
        for d in docs:
            counts.update(pieces(d, pretok, specials))
            n += len(d.encode("utf-8"))
        sample_info[lang] = {"files": len(docs), "bytes": n}
    t1 = time.time()
    log("sample: %s; %d distinct pieces (%.0fs)"
        % (", ".join("%s %.1f MB" % (k, v["bytes"] / 1e6) for k, v in sample_info.items()),
           len(counts), t1 - t0))
    tokens, merges = train_bpe(counts, n_regular, min_frequency, log)
    t2 = time.time()
    tok = build_tokenizer_json(tokens, merges)
    enc = Tokenizer(tok)
    ratio = {}
    for lang, docs in held.items():
        nb = sum(len(d.encode("utf-8")) for d in docs)
        nt = sum(len(enc.encode(d)) for d in docs)
        ratio[lang] = round(nb / max(1, nt), 3)
    info = {"vocab_size": len(tokens) + len(SPECIAL_TOKENS), "bpe_tokens": len(tokens),
            "merges": len(merges), "special_tokens": {s: len(tokens) + k for k, s in
                                                      enumerate(SPECIAL_TOKENS)},
            "sample": sample_info, "distinct_pieces": len(counts), "seed": seed,
            "min_frequency": min_frequency, "seconds": {"pretokenize": round(t1 - t0, 1),
                                                        "merges": round(t2 - t1, 1),
                                                        "total": round(time.time() - t0, 1)},
            "held_out_bytes_per_token": ratio}
    save(out_dir, tok, info)
    log("wrote %s: %d tokens (%d merges + 256 bytes + %d special), %.0fs; bytes/token on"
        " held-out files: %s" % (out_dir, info["vocab_size"], len(merges), len(SPECIAL_TOKENS),
                                 time.time() - t0, json.dumps(ratio)))
    return info


# ---------------------------------------------------------------------------------------
# encoding

class Tokenizer:
    """Encoder/decoder for a tokenizer.json of this kind (the reference for the C++ one)."""

    def __init__(self, tok):
        if isinstance(tok, str):
            with open(os.path.join(tok, "tokenizer.json") if os.path.isdir(tok) else tok,
                      encoding="utf-8") as f:
                tok = json.load(f)
        model = tok["model"]
        self.vocab = model["vocab"]
        self.ranks = {}
        for r, m in enumerate(model["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.ranks.setdefault((a, b), r)
        self.specials = {e["content"]: e["id"] for e in tok.get("added_tokens", [])}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_special = {i: t for t, i in self.specials.items()}
        self.pretok = compile_pretokenizer()
        self.cache = {}

    def __len__(self):
        return 1 + max(list(self.id_to_token) + list(self.id_to_special))

    def _bpe(self, piece):
        ids = self.cache.get(piece)
        if ids is not None:
            return ids
        syms = [BYTE_CHAR[b] for b in piece.encode("utf-8")]
        ranks = self.ranks
        while len(syms) > 1:
            best, at = None, -1
            for i in range(len(syms) - 1):
                r = ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, i
            if best is None:
                break
            syms[at:at + 2] = [syms[at] + syms[at + 1]]
        ids = [self.vocab[s] for s in syms]
        if len(self.cache) < 500_000:
            self.cache[piece] = ids
        return ids

    def encode(self, text):
        ids = []
        for seg, tid in split_special(text, self.specials):
            if tid is not None:
                ids.append(tid)
                continue
            for piece in split_isolated(self.pretok, unicodedata.normalize("NFC", seg)):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids):
        out, buf = [], bytearray()
        for i in ids:
            if i in self.id_to_special:
                out.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                out.append(self.id_to_special[i])
            else:
                buf.extend(CHAR_BYTE[c] for c in self.id_to_token[i])
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train on a corpus built by corpus.py")
    t.add_argument("--corpus", default=os.path.join(REPO, "build", "corpus"))
    t.add_argument("--out", default=os.path.join(REPO, "build", "tokenizer"))
    t.add_argument("--vocab-size", type=int, default=12288,
                   help="all tokens: 256 bytes + merges + %d special" % len(SPECIAL_TOKENS))
    t.add_argument("--sample-mb", type=float, default=40.0)
    t.add_argument("--min-frequency", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    for name in ("encode", "decode"):
        e = sub.add_parser(name)
        e.add_argument("--tokenizer", required=True, help="folder with tokenizer.json")
        e.add_argument("input", help="the text" if name == "encode"
                       else "the ids (comma or space separated)")
    a = ap.parse_args(argv)
    if a.cmd == "train":
        train(a.corpus, a.out, a.vocab_size, a.sample_mb, a.seed, a.min_frequency)
    elif a.cmd == "encode":
        print(" ".join(map(str, Tokenizer(a.tokenizer).encode(a.input))))
    else:
        ids = [int(x) for x in a.input.replace(",", " ").split()]
        sys.stdout.write(Tokenizer(a.tokenizer).decode(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
