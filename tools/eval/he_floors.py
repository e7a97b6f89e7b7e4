"""Floors for HumanEval-Infilling: what completions that write nothing useful score.

Beside every model's pass@1 the evaluation gives, on the same tasks, the pass@1 of four
fixed completions:

  empty          the empty middle;
  pass           `pass`         at the indentation of the canonical middle's first
  return False   `return False` non-blank line (the same rule for every subset: in a
  return True    `return True`  random span, which starts inside a line, the statement
                                usually makes the program a SyntaxError).

Each floor's completion is joined like a model's (he_tasks.join_completion with the same
--join: a line-level task's statement gets its newline) and its program executed the same
way (he_exec: the same timeout, memory limit and guard). A model below a floor writes
middles that are worse than writing nothing: the first line of a wrong middle breaks
programs that an empty line would have left passing. Each floor also gets its share of
programs that are a SyntaxError (he_tasks.syntax_error: prompt + middle + suffix through
compile(), nothing executed), as the models do.
"""
import he_exec
import he_report
import he_tasks

FLOORS = ("empty", "pass", "return False", "return True")


def floor_completion(task, floor):
    """The completion a floor gives for a task, as an engine would return it (no final
    newline: the join adds it to a line-level task's)."""
    if floor == "empty":
        return ""
    if floor not in FLOORS:
        raise ValueError("unknown floor %r (floors: %s)" % (floor, ", ".join(FLOORS)))
    return he_tasks.first_line_indent(task) + floor


def run_floors(tasks, join="lines", jobs=1, progress=None, **exec_kw):
    """Executes every floor on every task. Returns {floor: records}, one record per task
    in task order: task_id, subset, middle (joined), syntax_error, passed, exec."""
    records, programs = {}, []
    for floor in FLOORS:
        records[floor] = []
        for t in tasks:
            middle, _ = he_tasks.join_completion(t, floor_completion(t, floor), join)
            records[floor].append({"task_id": t["task_id"], "subset": t["subset"],
                                   "middle": middle,
                                   "syntax_error": he_tasks.syntax_error(t, middle)})
            programs.append(he_tasks.program(t, middle))
    results = he_exec.run_many(programs, jobs, progress=progress, **exec_kw)
    flat = [r for floor in FLOORS for r in records[floor]]
    for r, e in zip(flat, results):
        r["passed"] = e["passed"]
        r["exec"] = {"status": e["status"], "seconds": e["seconds"]}
    return records


def figures(records):
    """{floor: {subset: outcome, 'all': outcome}} (he_report.outcome: tasks, passed,
    pass@1, syntax_errors, syntax_error_share, exec_status)."""
    return {floor: he_report.by_subset(recs, he_report.outcome)
            for floor, recs in records.items()}


def report_json(records, with_records=True):
    """The report's 'floors' entry: what each floor writes, its figures, and (unless
    left out) the tasks each passes and those it makes a SyntaxError."""
    out = {"completions": {f: "the empty middle" if f == "empty" else
                           "`%s` at the indentation of the canonical middle's first "
                           "non-blank line" % f for f in FLOORS},
           "figures": figures(records)}
    if with_records:
        out["passed"] = {f: [r["task_id"] for r in recs if r["passed"]]
                         for f, recs in records.items()}
        out["syntax_errors"] = {f: [r["task_id"] for r in recs if r["syntax_error"]]
                                for f, recs in records.items()}
    return out


def beside_lines(floor_figs, model_figs=None):
    """The table that puts each model's pass@1 and SyntaxError share beside the floors',
    subset by subset; for a model, its pass@1 less the best floor's, in points."""
    model_figs = model_figs or {}
    names = list(model_figs) + ["floor: " + f for f in floor_figs]
    w = max([20] + [len(n) for n in names])
    out = ["pass@1 beside the floors (the same tasks, executed the same way); SyntaxError: "
           "the share of programs that do not compile",
           ("  %-12s %6s  %-*s %8s %12s %15s" % ("subset", "tasks", w, "completions",
                                                "pass@1", "SyntaxError",
                                                "- best floor" if model_figs else "")).rstrip()]
    first = next(iter(floor_figs.values()), None) or next(iter(model_figs.values()), {})
    for s in first:
        rows = []
        best = max((figs[s]["pass@1"] for figs in floor_figs.values()
                    if s in figs and figs[s]["pass@1"] is not None), default=None)
        for label, figs in model_figs.items():
            if s in figs:
                f = figs[s]
                gap = ("-" if best is None or f["pass@1"] is None
                       else "%+.1f pts" % (100 * (f["pass@1"] - best)))
                rows.append((label, f, gap))
        for floor, figs in floor_figs.items():
            if s in figs:
                rows.append(("floor: " + floor, figs[s], ""))
        for i, (name, f, gap) in enumerate(rows):
            out.append(("  %-12s %6s  %-*s %8s %12s %15s" % (
                s if i == 0 else "", f["tasks"] if i == 0 else "", w, name,
                he_report.pct(f["pass@1"]), he_report.pct(f["syntax_error_share"]),
                gap)).rstrip())
    return out
