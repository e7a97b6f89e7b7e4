#!/usr/bin/env python3
"""The trained tokenizer loads in infilld and gives the ids of the Python reference encoder.

Builds a --small corpus (tools/train/corpus.py, no network), trains a tokenizer on it
(tools/train/tokenizer.py), puts its tokenizer.json into a tiny checkpoint folder
(tools/tiny_checkpoint.py, vocab sized to fit) and compares `infilld tokenize --stdin`
with tokenizer.Tokenizer.encode on hand-written edge cases (non-ASCII, normalization,
Unicode whitespace, special tokens) and on lines and whole files sampled from every
language of the corpus; also `--decode` of those ids, and the Python decode.

    test_tokenizer_roundtrip.py --infilld PATH [--workdir DIR] [--vocab-size N]
                                [--tokenizer DIR]   (check a trained one instead)
Ends with the line `N passed, M failed`; exit status 1 on failure.
"""
import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
sys.path.insert(0, os.path.join(REPO, "tools"))

EDGE_CASES = [
    "def foo(x):\n    return x + 1\n",
    "héllo wörld, naïve café, Ångström, façade",
    "e\u0301 A\u030a \u1100\u1161 \ufb01 \u212b",          # NFC composes; the ligature stays
    "日本語のテキスト、中文字符串。안녕하세요",
    "مرحبا بالعالم — שלום עולם",
    "नमस्ते दुनिया ส\u0e27ัสดี",  # combining marks (\p{M}, not \p{L})
    "emoji 👍🏽 🎉 👨\u200d👩\u200d👧 🇫🇷 ✓ ∑ ≠ → λ",
    "nbsp\u00a0x ideographic\u3000y line\u2028sep para\u2029sep",
    "mongolian\u180evowel sep\u001cfile \u0085nel \x0bvt \x0cff",
    "tabs\t\tand  spaces   \n\n   \t\n",
    "crlf line\r\nnext\r\n\r\nlast\r",
    "trailing spaces   ",
    "   leading spaces",
    " " * 40 + "deep",
    "it's I'M we'LL they'D you'Ve 'S 'ſ ''quoted''",
    "x = 12345 + ３４５ + Ⅻ + ½ + ٣٤",
    "<|prefix|>a<|suffix|>b<|middle|>",
    "<|mask|><|mask|><|mask|> then <|eom|>",
    "<|endoftext|>",
    "<|mas <|eom|x <<|eom|>> <|eom|>x",
    "std::vector<std::pair<int, int>> v{}; v.emplace_back(1, 2);",
    "template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>",
    "fn main() -> Result<(), Box<dyn Error>> { let x: &'static str = \"é\"; }",
    "func (s *Server) Serve(ctx context.Context) error {\n\tif err := s.run(ctx); err != nil {",
    "const f = async (a, b) => { return a ?? b?.c ?? `tmpl ${a}`; };",
    "export function id<T extends object>(x: T): Readonly<T> { return x as const; }",
    "print(f\"{value!r:>10} {other=}\")  # comment ünïcödé",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "0x7fffffff 1e-9 3.14159 1_000_000 0b1010",
    "\ue000 private use, \U0001f600 grinning, \u00ad soft hyphen, \u200b zero width",
    "Ελληνικά Кириллица Ïñţëŕñåţîöñåļîžåţîöñ",
    "a",
    "\n",
    " ",
    "''",
]


def run(cmd, data=None):
    return subprocess.run(cmd, input=data, capture_output=True, timeout=60)


def sample_texts(tokenizer, corpus_dir, seed, lines_per_lang=40, files_per_lang=3):
    rng = random.Random(seed)
    out = []
    for fn in sorted(os.listdir(corpus_dir)):
        if not fn.endswith(".jsonl") or fn[:-6] not in tokenizer.LANGUAGES:
            continue
        with open(os.path.join(corpus_dir, fn), encoding="utf-8") as f:
            docs = [json.loads(l)["text"] for l in f]
        if not docs:
            continue
        lang = fn[:-6]
        for k in range(files_per_lang):
            out.append(("%s file %d" % (lang, k), rng.choice(docs)[:20000]))
        lines = [l for d in docs for l in d.split("\n") if l.strip()]
        nonascii = [l for l in lines if any(ord(c) > 127 for c in l)]
        for k in range(lines_per_lang):
            pool = nonascii if nonascii and k % 4 == 0 else lines
            out.append(("%s line %d" % (lang, k), rng.choice(pool)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--infilld", required=True)
    ap.add_argument("--workdir", help="keep the corpus, tokenizer and checkpoint here")
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--tokenizer", help="check this trained tokenizer folder instead of"
                    " training one on the small corpus (e.g. build/tokenizer)")
    a = ap.parse_args()
    binary = os.path.abspath(a.infilld) if os.sep in a.infilld else a.infilld
    if importlib.util.find_spec("regex") is None:
        print("the Python module `regex` is missing (apt-get install python3-regex)")
        print("0 passed, 1 failed")
        return 1
    import corpus
    import tiny_checkpoint
    import tokenizer

    tmp = None
    if a.workdir:
        work = a.workdir
        os.makedirs(work, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="infilld-tokenizer-")
        work = tmp.name
    corpus_dir = os.path.join(work, "corpus")
    tok_dir = os.path.join(work, "tokenizer")
    ckpt = os.path.join(work, "checkpoint")
    passed = failed = 0

    def report(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))

    if corpus.main(["--small", "--quiet", "--out", corpus_dir]) != 0:
        report(False, "corpus --small")
        print("%d passed, %d failed" % (passed, failed))
        return 1
    with open(os.path.join(corpus_dir, "stats.json")) as f:
        stats = json.load(f)
    report(len(stats["languages"]) >= 5 and stats["total"]["bytes"] > 1_000_000,
           "small corpus has 5+ languages and 1+ MB", json.dumps(stats["languages"]))
    if a.tokenizer:
        tok_dir = a.tokenizer
        with open(os.path.join(tok_dir, "training.json")) as f:
            info = json.load(f)
    else:
        info = tokenizer.train(corpus_dir, tok_dir, vocab_size=a.vocab_size, sample_mb=8,
                               log=lambda *x: None)
    size = info["vocab_size"]
    report(size > 2048, "tokenizer size", str(size))
    print("tokenizer: %d tokens, trained in %.1fs" % (size, info["seconds"]["total"]))

    tiny_checkpoint.write_checkpoint(ckpt, "qwen2_mdm", vocab=-(-size // 64) * 64)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(tok_dir, name), "rb") as src, \
                open(os.path.join(ckpt, name), "wb") as dst:
            dst.write(src.read())
    proc = run([binary, "info", "--model", ckpt])
    report(proc.returncode == 0, "infilld info loads the checkpoint with the new tokenizer",
           proc.stderr.decode(errors="replace")[-300:])

    enc = tokenizer.Tokenizer(tok_dir)
    specials = {s: info["special_tokens"][s] for s in tokenizer.SPECIAL_TOKENS}
    cases = [("edge %d" % i, t) for i, t in enumerate(EDGE_CASES)]
    cases += sample_texts(tokenizer, corpus_dir, seed=1)
    for name, text in cases:
        want = enc.encode(text)
        proc = run([binary, "tokenize", "--model", ckpt, "--stdin"], text.encode("utf-8"))
        if proc.returncode != 0:
            report(False, name, "exit %d: %s" % (proc.returncode, proc.stderr.decode()[-200:]))
            continue
        got = [int(x) for x in proc.stdout.decode().split()]
        if got != want:
            k = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y),
                     min(len(got), len(want)))
            report(False, name, "ids differ at %d: infilld %s, python %s; text %r"
                   % (k, got[k:k + 5], want[k:k + 5], text[:120]))
            continue
        normal = "".join(s if tid is not None else unicodedata.normalize("NFC", s)
                         for s, tid in tokenizer.split_special(text, specials))
        if enc.decode(want) != normal:
            report(False, name, "python decode(encode(text)) != NFC(text)")
            continue
        if name.startswith("edge") or name.endswith(("line 0", "file 0")):
            proc = run([binary, "tokenize", "--model", ckpt, "--decode",
                        " ".join(map(str, want))])
            if proc.returncode != 0 or proc.stdout.decode("utf-8") != normal:
                report(False, name, "infilld --decode differs: %r" % proc.stdout[:100])
                continue
        report(True, name)
    ids = enc.encode("<|suffix|>x<|prefix|>y<|middle|><|mask|><|eom|><|endoftext|>")
    report([i for i in ids if i >= size - 6] == [specials[s] for s in
            ("<|suffix|>", "<|prefix|>", "<|middle|>", "<|mask|>", "<|eom|>",
             "<|endoftext|>")], "special tokens are single ids at the end of the vocabulary")
    if tmp is not None:
        tmp.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
