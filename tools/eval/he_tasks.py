"""HumanEval-Infilling tasks: loading, sampling, program assembly and wrong middles.

The data (OpenAI's HumanEval-Infilling, MIT) lives in ../shared/data/humaneval-infilling
as gzipped JSON lines with the fields task_id, entry_point, prompt (the prefix), suffix,
canonical_solution (the middle), test. A task is scored by executing

    prompt + completion + suffix + "\\n" + test + "\\n" + "check(entry_point)\\n"

Line-level subsets (single-line and multi-line) remove whole lines: the prompt ends with a
newline and so does the canonical middle. A completion for such a task is whole lines too;
when it arrives without its final newline (the engine's post-processing drops trailing
blank lines) the "lines" join appends one, as single-line harnesses that generate up to
the newline do. The "raw" join concatenates as it is.

The default run: the whole single-line set (1,033 tasks, the headline) and fixed seeded
samples of 200 multi-line and 200 random-span tasks (DEFAULT_LIMITS; a limit of None is
the whole subset). syntax_error() tells whether a middle makes prompt + middle + suffix
fail to compile, without running anything.
"""
import ast
import gzip
import json
import os
import random
import warnings

SUBSETS = {
    "single": "HumanEval-SingleLineInfilling.jsonl.gz",
    "multi": "HumanEval-MultiLineInfilling.jsonl.gz",
    "span": "HumanEval-RandomSpanInfilling.jsonl.gz",
    "span-light": "HumanEval-RandomSpanInfillingLight.jsonl.gz",
}
DEFAULT_SUBSETS = ("single", "multi", "span")
# Tasks per subset in the default run (None: all): the seeded samples stay the same tasks
# from run to run, so results on them compare.
DEFAULT_LIMITS = {"single": None, "multi": 200, "span": 200}


def default_data_dir(repo):
    return os.path.join(os.path.dirname(repo), "shared", "data", "humaneval-infilling")


def load_subset(data_dir, subset):
    """The tasks of one subset, in file order, each a dict with 'subset' and 'index' added."""
    path = os.path.join(data_dir, SUBSETS[subset])
    tasks = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            t = json.loads(line)
            for key in ("task_id", "entry_point", "prompt", "suffix", "canonical_solution", "test"):
                if not isinstance(t.get(key), str):
                    raise ValueError("%s line %d: no string field %r" % (path, i + 1, key))
            t["subset"] = subset
            t["index"] = len(tasks)
            tasks.append(t)
    return tasks


def sample(tasks, limit, seed):
    """`limit` tasks drawn with a seeded generator, back in file order (all when limit is
    None or not smaller than the subset). The same limit and seed give the same tasks."""
    if limit is None or limit >= len(tasks):
        return list(tasks)
    rng = random.Random("%s:%d" % (tasks[0]["subset"] if tasks else "", seed))
    picked = sorted(rng.sample(range(len(tasks)), max(0, limit)))
    return [tasks[i] for i in picked]


def load_tasks(data_dir, subsets, limit=None, seed=0):
    """The tasks of `subsets`, each subset sampled to `limit` tasks: one number for every
    subset, or a dict {subset: number or None} (a subset it lacks: all)."""
    out = []
    for s in subsets:
        n = limit.get(s) if isinstance(limit, dict) else limit
        out.extend(sample(load_subset(data_dir, s), n, seed))
    return out


def parse_limits(spec):
    """'single=0,multi=200' -> {'single': None, 'multi': 200} (0: all). ValueError, with
    what is wrong, on an unknown subset or a count that is not a whole number >= 0."""
    out = {}
    for item in (x.strip() for x in spec.split(",")):
        if not item:
            continue
        name, eq, count = item.partition("=")
        if name not in SUBSETS:
            raise ValueError("unknown subset %r in %r (subsets: %s)"
                             % (name, spec, ", ".join(SUBSETS)))
        if not eq or not count.strip().isdigit():
            raise ValueError("%r: expected SUBSET=COUNT with COUNT a whole number >= 0 "
                             "(0: all)" % item)
        out[name] = int(count) or None
    return out


def resolve_limits(subsets, limit=None, spec=None):
    """Tasks per subset: an entry of `spec` (parse_limits) first, then `limit` (one number
    for every subset), then DEFAULT_LIMITS when neither is given (None: all)."""
    out = {}
    for s in subsets:
        if spec and s in spec:
            out[s] = spec[s]
        elif limit is not None:
            out[s] = limit
        elif spec is None:
            out[s] = DEFAULT_LIMITS.get(s)
        else:
            out[s] = None
    return out


def is_line_level(task):
    """The removed span is whole lines: the prefix ends a line and so does the middle."""
    return task["prompt"].endswith("\n") and task["canonical_solution"].endswith("\n")


def join_completion(task, completion, join="lines"):
    """The middle as it goes into the program, and whether a newline was appended."""
    if (join == "lines" and is_line_level(task) and completion
            and not completion.endswith("\n")):
        return completion + "\n", True
    return completion, False


def program(task, middle):
    """The full program for a middle (already joined)."""
    return "".join([task["prompt"], middle, task["suffix"], "\n", task["test"], "\n",
                    "check(%s)\n" % task["entry_point"]])


def syntax_error(task, middle):
    """Whether prompt + middle + suffix fails to compile (Python's compile(): nothing is
    executed). The canonical middle of every task compiles."""
    source = task["prompt"] + middle + task["suffix"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like: still a program
        try:
            compile(source, "<%s>" % task["task_id"], "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True  # ValueError: a NUL byte; the others: nesting too deep to parse
    return False


def exact_match(completion, canonical):
    """Completion == canonical middle, whitespace stripped at both ends."""
    return completion.strip() == canonical.strip()


# ----- wrong middles for the harness self-check -----

def _lines(text):
    return text.splitlines(keepends=True)


def _indent(line):
    return line[:len(line) - len(line.lstrip(" \t"))]


def first_line_indent(task):
    """The indentation of the canonical middle's first non-blank line (its first line when
    all are blank): where a statement put in place of the middle goes."""
    lines = _lines(task["canonical_solution"]) or [""]
    return _indent(next((l for l in lines if l.strip()), lines[0]))


def middle_lines(task, middle):
    """The 1-based program lines (first, last) that hold the middle."""
    first = task["prompt"].count("\n") + 1
    body = middle[:-1] if middle.endswith("\n") else middle
    return first, first + body.count("\n")


def insertion_line(task):
    """The program line where the wrong statements of a line-level task go: the
    canonical middle's first non-blank line (1-based). Whether the tests execute that line
    decides whether a wrong middle there must fail."""
    first = task["prompt"].count("\n") + 1
    for i, line in enumerate(_lines(task["canonical_solution"])):
        if line.strip():
            return first + i
    return first


def under_bare_except(task):
    """Whether the insertion line sits in the body of a `try` whose handler catches
    everything (`except:` or `except BaseException`): the 'raise' kind may pass there."""
    source = program(task, task["canonical_solution"])
    line = insertion_line(task)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try) or not node.body:
            continue
        first, last = node.body[0].lineno, node.body[-1].end_lineno
        if first <= line <= last and any(
                h.type is None or (isinstance(h.type, ast.Name) and h.type.id == "BaseException")
                for h in node.handlers):
            return True
    return False


# Kinds whose pass, where the tests execute the middle, means the harness is broken.
MUST_FAIL = ("raise", "exit-0", "syntax-error")
# Kinds that are wrong but may pass: the tests may not tell None from False, or need the
# dropped line.
MAY_PASS = ("return-none", "drop-last-line")


def wrong_middles(task):
    """Wrong middles, by kind. Statements go before the canonical lines at the indentation
    of the middle's first line (so the suffix's blocks still parse), and run wherever the
    tests reach the middle (insertion_line):

    - 'raise' (line-level tasks): `raise BaseException(...)`, which `except Exception`
      does not catch: a harness that swallows the tests' exceptions passes it;
    - 'exit-0' (line-level tasks): `os._exit(0)`: the program ends with status 0 before
      check() does; a harness that trusts the exit status passes it;
    - 'syntax-error': an unmatched bracket after the canonical (a span gets a line break
      and closers, as a span may end inside a string or a comment): must not compile;
    - 'return-none' (line-level tasks): `return None`. Wrong, but it may pass: a test may
      not tell None from False (`assert not f(x)`), or a helper's None from a falsy result;
    - 'drop-last-line': the canonical without its last line (a one-line middle becomes
      empty; a one-line span loses its second half). A removed line can be redundant.

    MUST_FAIL kinds that pass where the tests reach them mean the harness is broken.
    """
    canon = task["canonical_solution"]
    lines = _lines(canon)
    out = {}
    if is_line_level(task):
        ind = first_line_indent(task)
        out["raise"] = ind + "raise BaseException('wrong middle')\n" + canon
        out["exit-0"] = ind + "__import__('os')._exit(0)\n" + canon
        out["return-none"] = ind + "return None\n" + canon
        out["syntax-error"] = canon + "(\n"
    else:
        out["syntax-error"] = canon + "\n)]}\n"
    if len(lines) > 1:
        out["drop-last-line"] = "".join(lines[:-1])
    elif is_line_level(task):
        out["drop-last-line"] = ""
    else:
        out["drop-last-line"] = canon[: len(canon) // 2]
    return out
