"""Decontamination: keep every function of HumanEval, HumanEval-Infilling and SAFIM out of
the training corpus.

The benchmark files are read at build time from ../shared/data (never copied). Each task
is rebuilt whole (HumanEval-Infilling: prompt + canonical_solution + suffix, and its test;
SAFIM: eval_prompt with {{completion}} replaced by ground_truth), and gives:

  * windows: every run of WINDOW consecutive informative lines (whitespace-normalised,
    at least 10 characters, not an import/include/#define), hashed. Any language.
  * Python functions (parsed with ast): normalised name (lower case, no outer
    underscores), the set of informative body lines (docstring left out) and a hash of
    the whole normalised body.

A corpus file matches when it holds one of the windows, or (Python) a function with a
benchmark function's name whose body is similar (Jaccard of informative body lines >= 0.5,
or the benchmark body inside it, or equal bodies), or a function with a benchmark
function's exact body of at least 3 informative lines under another name.

What is removed: in Python files, the matching function (decorators included) when the
match lies inside one; the whole file otherwise (a window outside every function, a file
that does not parse). In other languages, the whole file. HumanEval itself is
HumanEval-Infilling's source: its 164 programs are the infilling tasks made whole.
"""
import ast
import gzip
import hashlib
import json
import os
import warnings

WINDOW = 4
SKIP_PREFIXES = ("#include", "import ", "from ", "using ", "package ", "#pragma", "#define",
                 "#if", "#endif", "#else", "#undef", "namespace ", "use ", "extern crate")


def norm(line):
    return " ".join(line.split())


def informative(n):
    return len(n) >= 10 and not n.startswith(SKIP_PREFIXES)


def _h(text):
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(),
                          "little")


def window_hashes(lines):
    """[(hash, first line index, last line index)] of the informative-line windows."""
    info = []
    for i, line in enumerate(lines):
        n = norm(line)
        if informative(n):
            info.append((i, n))
    out = []
    for k in range(len(info) - WINDOW + 1):
        chunk = info[k:k + WINDOW]
        out.append((_h("\n".join(n for _, n in chunk)), chunk[0][0], chunk[-1][0]))
    return out


def norm_name(name):
    return name.lower().strip("_")


def python_functions(text):
    """[(name, first line, last line (0-based, inclusive), body line list)] or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = text.split("\n")
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
            continue
        body = node.body
        first = body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            body = body[1:]
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        end = (node.end_lineno or node.lineno) - 1
        body_lines = []
        if body:
            body_lines = lines[body[0].lineno - 1:(body[-1].end_lineno or body[-1].lineno)]
        out.append((node.name, start, end, body_lines))
    return out


def _body_keys(body_lines):
    normed = [norm(l) for l in body_lines]
    infos = frozenset(n for n in normed if informative(n))
    full = _h("\n".join(n for n in normed if n))
    return infos, full


class Benchmarks:
    def __init__(self):
        self.windows = {}        # hash -> task id
        self.by_name = {}        # normalised name -> [(informative body set, body hash, id)]
        self.body_hashes = {}    # body hash (>= 3 informative lines) -> task id
        self.programs = {"humaneval": 0, "safim": 0}
        self.functions = 0

    def add_program(self, text, task, language):
        text = text.replace("\r\n", "\n")
        for h, _, _ in window_hashes(text.split("\n")):
            self.windows.setdefault(h, task)
        if language != "python":
            return
        for name, _, _, body in python_functions(text) or []:
            infos, full = _body_keys(body)
            self.by_name.setdefault(norm_name(name), []).append((infos, full, task))
            if len(infos) >= 3:
                self.body_hashes.setdefault(full, task)
            self.functions += 1

    def summary(self):
        return {"programs": dict(self.programs), "windows": len(self.windows),
                "python_functions": self.functions, "python_names": len(self.by_name)}


def _jsonl_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_benchmarks(data_dir):
    """Reads ../shared/data; returns Benchmarks, or None when the folder is absent."""
    he_dir = os.path.join(data_dir, "humaneval-infilling")
    safim_dir = os.path.join(data_dir, "safim")
    if not (os.path.isdir(he_dir) and os.path.isdir(safim_dir)):
        return None
    b = Benchmarks()
    seen = set()
    for fn in sorted(os.listdir(he_dir)):
        if not fn.endswith(".jsonl.gz"):
            continue
        for r in _jsonl_gz(os.path.join(he_dir, fn)):
            parts = r["task_id"].split("/")
            task = "/".join(parts[1:3]) if len(parts) >= 3 else r["task_id"]
            whole = r["prompt"] + r["canonical_solution"] + r["suffix"]
            for text in (whole, r.get("test", "")):
                key = _h(norm(text))
                if key in seen or not text:
                    continue
                seen.add(key)
                if text is whole:
                    b.programs["humaneval"] += 1
                b.add_program(text, task, "python")
    for fn in sorted(os.listdir(safim_dir)):
        if not fn.endswith(".jsonl.gz"):
            continue
        for r in _jsonl_gz(os.path.join(safim_dir, fn)):
            text = r["eval_prompt"].replace("{{completion}}", r["ground_truth"])
            key = _h(norm(text))
            if key in seen:
                continue
            seen.add(key)
            b.programs["safim"] += 1
            # the task ids repeat across files (api_completion's are block_completion_N)
            task = "safim/%s/%s" % (fn[:-len(".jsonl.gz")], r["task_id"])
            b.add_program(text, task, r.get("lang", ""))
    return b


def _similar(infos, full, bench):
    b_infos, b_full, _ = bench
    if full == b_full:
        return True
    if b_infos and b_infos <= infos:
        return True
    union = len(infos | b_infos)
    return union > 0 and len(infos & b_infos) / union >= 0.5


def check(bench, text, language):
    """Returns (new text or None to drop the file, [removal records])."""
    lines = text.split("\n")
    hits = [(a, z, bench.windows[h]) for h, a, z in window_hashes(lines) if h in bench.windows]
    if language != "python":
        if hits:
            return None, [{"kind": "file", "reason": "window", "benchmark": hits[0][2],
                           "line": hits[0][1] + 1}]
        return text, []
    funcs = python_functions(text)
    if funcs is None:
        if hits:
            return None, [{"kind": "file", "reason": "window", "benchmark": hits[0][2],
                           "line": hits[0][1] + 1}]
        return text, []
    drop = {}  # (start, end) -> record
    for name, start, end, body in funcs:
        infos, full = _body_keys(body)
        for entry in bench.by_name.get(norm_name(name), ()):
            if _similar(infos, full, entry):
                drop[(start, end)] = {"kind": "function", "name": name, "reason": "name+body",
                                      "benchmark": entry[2], "line": start + 1}
                break
        else:
            if len(infos) >= 3 and full in bench.body_hashes:
                drop[(start, end)] = {"kind": "function", "name": name, "reason": "body",
                                      "benchmark": bench.body_hashes[full],
                                      "line": start + 1}
    for a, z, task in hits:
        inside = [(s, e, n) for n, s, e, _ in funcs if s <= a and z <= e]
        if not inside:
            return None, [{"kind": "file", "reason": "window", "benchmark": task,
                           "line": a + 1}]
        s, e, n = max(inside, key=lambda f: f[0])  # the innermost function
        drop.setdefault((s, e), {"kind": "function", "name": n, "reason": "window",
                                 "benchmark": task, "line": s + 1})
    if not drop:
        return text, []
    # Remove outermost spans only (a dropped nested function goes with its parent).
    spans = sorted(drop)
    keep_spans = []
    for s, e in spans:
        if keep_spans and s <= keep_spans[-1][1]:
            keep_spans[-1] = (keep_spans[-1][0], max(keep_spans[-1][1], e))
        else:
            keep_spans.append((s, e))
    out, pos = [], 0
    for s, e in keep_spans:
        out.extend(lines[pos:s])
        pos = e + 1
    out.extend(lines[pos:])
    return "\n".join(out), [drop[k] for k in spans]
