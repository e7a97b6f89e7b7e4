#!/usr/bin/env python3
"""Keystroke replay: types a real source file into `infilld lsp`, character by character,
as an editor with inline completion would, and measures keystroke-to-suggestion latency.

The document opens with the file's text up to a line (--start-line; by default the first
top-level line after a blank one past the first third of the file), followed (unless
--no-suffix) by the file's text from the line break after the typed span, so the cursor's
line holds only what was typed (text to its right would silence automatic requests). Then
each keystroke is a `didChange` (incremental: an empty range at the cursor, UTF-16
positions unless the server picks another encoding, version + 1) and a
`textDocument/inlineCompletion` request (triggerKind 2, Automatic) at the new cursor. The
gap to the next keystroke is seeded random: 60-250 ms (triangular, mode 110 ms) while
typing, and half the time a pause of 500-1500 ms before a line's first non-blank
character; --speed divides every gap (2 types twice as fast). The file's characters are
typed verbatim, indentation included (--auto-indent: Enter brings the next line's
indentation, as an editor does).

A keystroke is answered when its request gets a result (items, possibly empty); its
latency is from sending the request to receiving that reply. A keystroke whose request the
next keystroke superseded is cancelled (RequestCancelled -32800, or ContentModified -32801
from the next didChange: it never got a suggestion); the cancel reply time is from the next
keystroke to that reply. An answered reply that arrived after the next keystroke was sent
also counts as late (an editor would drop it). The last keystroke's reply is awaited up to
--final-timeout, then cancelled ($/cancelRequest) and counted as timed out. Server-side
counts come from `infilld/stats` taken after a warm-up request (which waits for the model
to load) and after the last reply, so they cover the replay only.

Figures: the share of pauses (gaps of 400 ms or more to the next key, and the last key)
whose request got a non-empty suggestion before the next key; p50/p95/p99 latency over
answered keystrokes; keystrokes, answered, cancelled;
cache-hit rate ((cacheHits + typedThroughHits) / requests); forward passes per keystroke
(forwards / keystrokes, speculative ones included); the share of answered requests with a
non-empty suggestion; how much of each suggestion matches the text typed next; with
streaming, the time to the first infilld/completionUpdate. The script fails (status 1) if
the server answers a request with another error, leaves one unanswered, answers one twice,
sends an Error message or malformed output, or does not exit with 0. With --record,
bench/results/keystroke_replay_<name>.json holds them all with the machine (CPU, cores,
date, git commit), the model's config and the settings.

Usage: /usr/bin/python3 bench/keystroke_replay.py [--infilld build/infilld] [--model DIR]
       [--file src/context/snippets.cpp] [--chars 400] [--start-line N] [--no-suffix]
       [--auto-indent] [--speed 1.0] [--seed 1] [--settings '{"maxTokens":16}']
       [--encoding utf-16|utf-8|utf-32] [--final-timeout S] [--record [--name NAME]]
The default model is a tiny random Dream checkpoint (tools/tiny_checkpoint.py, BF16,
seed 1) written once into bench/work/tiny-dream-bf16.
"""
import argparse
import datetime
import json
import os
import pathlib
import random
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PAUSE_MS = 400  # a gap this long before the next key is a pause: the user may read a suggestion
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import tiny_checkpoint  # noqa: E402
from forward_vs_torch import machine  # noqa: E402
from lsp_client import LspClient, is_response  # noqa: E402

REQUEST_CANCELLED = -32800
CONTENT_MODIFIED = -32801
LANGUAGES = {".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".h": "cpp", ".hpp": "cpp", ".c": "c",
             ".py": "python", ".rs": "rust", ".go": "go", ".js": "javascript",
             ".ts": "typescript", ".java": "java", ".md": "markdown", ".cmake": "cmake"}


# ------------------------------------------------------------------------- text and positions

def units(s, encoding):
    """Length of `s` in the position encoding's code units."""
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-16":
        return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)
    return len(s)  # utf-32: code points


def offset_of(text, pos, encoding):
    """String index of an LSP position (line, character in code units) in `text`."""
    line, char = pos["line"], pos["character"]
    start = 0
    for _ in range(line):
        nl = text.find("\n", start)
        if nl < 0:
            raise ValueError("position %r past the last line" % pos)
        start = nl + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    i, u = start, 0
    while i < end and u < char:
        u += units(text[i], encoding)
        i += 1
    if u != char:
        raise ValueError("position %r not on a character boundary" % pos)
    return i


def apply_change(text, change, encoding):
    """The document after one incremental contentChange (what the server must compute)."""
    a = offset_of(text, change["range"]["start"], encoding)
    b = offset_of(text, change["range"]["end"], encoding)
    return text[:a] + change["text"] + text[b:]


def keystrokes(span, auto_indent):
    """The typed span as keystrokes: one character each; CRLF is one (Enter); with
    auto_indent, Enter brings the next line's indentation with it, as an editor does."""
    out, i = [], 0
    while i < len(span):
        if span.startswith("\r\n", i):
            k = "\r\n"
        else:
            k = span[i]
        i += len(k)
        if k in ("\n", "\r\n") and auto_indent:
            j = i
            while j < len(span) and span[j] in " \t":
                j += 1
            k += span[i:j]
            i = j
        out.append(k)
    return out


def default_start_line(lines, chars):
    """First top-level line after a blank line (a new declaration), at or after a third of
    the file, with `chars` to type after it; else the line that leaves `chars` characters."""
    total = sum(len(x) for x in lines)
    done = 0
    starts = []
    for i, line in enumerate(lines):
        starts.append(done)
        done += len(line)
    for i in range(len(lines) // 3, len(lines)):
        line = lines[i]
        if (line.strip() and not line[0].isspace() and i > 0 and not lines[i - 1].strip()
                and total - starts[i] >= chars):
            return i
    for i in range(len(lines) - 1, -1, -1):
        if total - starts[i] >= chars:
            return i
    return 0


def gaps(keys, rng, speed):
    """Seconds to wait after each keystroke before the next one (the last: 0): 60-250 ms,
    and half the time 500-1500 ms before a line's first non-blank character."""
    out, line = [], ""
    for k, key in enumerate(keys):
        nl = key.rfind("\n")
        line = key[nl + 1:] if nl >= 0 else line + key
        if k + 1 == len(keys):
            out.append(0.0)
            continue
        # Typing starts at a line's start, so `line` is the current line up to the cursor.
        if line.strip() == "" and keys[k + 1].strip() and rng.random() < 0.5:
            ms = rng.uniform(500, 1500)
        else:
            ms = rng.triangular(60, 250, 110)
        out.append(ms / 1000.0 / speed)
    return out


# ------------------------------------------------------------------------- model folder

def tiny_model(workdir):
    d = os.path.join(workdir, "tiny-dream-bf16")
    if not os.path.exists(os.path.join(d, "model.safetensors")):
        tiny_checkpoint.write_checkpoint(d, "dream", "bf16", seed=1)
    return d


def model_summary(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    keys = ("model_type", "architectures", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size",
            "torch_dtype", "tie_word_embeddings", "mask_token_id")
    out = {k: cfg[k] for k in keys if k in cfg}
    out["dir"] = os.path.relpath(os.path.abspath(model_dir), ROOT)
    out["weights_bytes"] = sum(os.path.getsize(os.path.join(model_dir, f))
                               for f in os.listdir(model_dir) if f.endswith(".safetensors"))
    return out


def git_commit():
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return "unknown", None


def percentiles(values):
    if not values:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    a = np.asarray(values, dtype=float)
    return {"count": len(values), "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2),
            "mean": round(float(a.mean()), 2), "max": round(float(a.max()), 2)}


def common_prefix(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


# ------------------------------------------------------------------------- the replay

class Replay:
    def __init__(self, args, model_dir):
        self.args = args
        self.model_dir = model_dir
        self.client = LspClient([args.infilld, "lsp", "--model", model_dir])
        self.encoding = "utf-16"

    def call(self, method, params, timeout):
        """A request's result; an error reply raises RuntimeError, no reply TimeoutError."""
        reply = self.client.wait_response(self.client.request(method, params), timeout)
        if "error" in reply:
            raise RuntimeError("%s: error %s" % (method, json.dumps(reply["error"])))
        return reply.get("result")

    def wait_reply(self, rid, timeout):
        """Waits up to `timeout` seconds for the reply to `rid` (no error when none came)."""
        try:
            self.client.wait_response(rid, max(0.0, timeout))
        except TimeoutError:
            pass

    def stats(self):
        return self.call("infilld/stats", None, self.args.timeout)

    def run(self):
        a = self.args
        c = self.client
        init = self.call("initialize", {
            "processId": os.getpid(),
            "clientInfo": {"name": "keystroke_replay"},
            "rootUri": pathlib.Path(ROOT).as_uri(),
            "capabilities": {"general": {"positionEncodings": [a.encoding]},
                             "textDocument": {"inlineCompletion": {}}},
            "initializationOptions": a.settings_obj}, timeout=a.timeout)
        self.encoding = init.get("capabilities", {}).get("positionEncoding", "utf-16")
        c.notify("initialized", {})

        path = os.path.abspath(a.file)
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        lines = [x + "\n" for x in text.split("\n")]  # LSP lines (a CR stays in its line)
        lines[-1] = lines[-1][:-1]
        start_line = (a.start_line - 1) if a.start_line else default_start_line(lines, a.chars)
        start = sum(len(x) for x in lines[:start_line])
        span = text[start:start + a.chars]
        keys = keystrokes(span, a.auto_indent)
        rng = random.Random(a.seed)
        waits = gaps(keys, rng, a.speed)
        prefix = text[:start]
        # The rest of the file from the line after the typed span's end: the cursor's line
        # holds only what was typed (text to the right of it silences automatic requests).
        after = text.find("\n", start + len(span))
        suffix = text[after:] if a.suffix and after >= 0 else ""
        doc = prefix + suffix
        uri = pathlib.Path(path).as_uri()
        lang = LANGUAGES.get(os.path.splitext(path)[1], "plaintext")
        version = 1
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": lang, "version": version, "text": doc}})
        cursor = {"line": prefix.count("\n"),
                  "character": units(prefix[prefix.rfind("\n") + 1:], self.encoding)}

        # Warm-up: one request at the starting cursor waits for the model to load.
        t0 = time.monotonic()
        warm = self.call("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": cursor,
            "context": {"triggerKind": 1}}, a.load_timeout)
        warmup_ms = (time.monotonic() - t0) * 1000.0
        before = self.stats()

        recs = []
        typed = ""
        t_start = c.elapsed()
        for k, key in enumerate(keys):
            version += 1
            change = {"range": {"start": dict(cursor), "end": dict(cursor)}, "text": key}
            expected = prefix + typed + key + suffix
            if apply_change(doc, change, self.encoding) != expected:
                raise SystemExit("keystroke_replay: internal error: change %r does not give the"
                                 " expected document" % change)
            doc = expected
            typed += key
            nl = key.rfind("\n")
            if nl >= 0:
                cursor = {"line": cursor["line"] + key.count("\n"),
                          "character": units(key[nl + 1:], self.encoding)}
            else:
                cursor = {"line": cursor["line"],
                          "character": cursor["character"] + units(key, self.encoding)}
            c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                "contentChanges": [change]})
            t_send = c.elapsed()
            rid = c.request("textDocument/inlineCompletion", {
                "textDocument": {"uri": uri}, "position": dict(cursor),
                "context": {"triggerKind": 2}})
            if recs:
                recs[-1]["next_sent"] = t_send
            recs.append({"k": k, "id": rid, "sent": t_send, "next_sent": None, "key": key,
                         "upcoming": text[start + len(typed):start + len(typed) + 200]})
            # Wait for this keystroke's reply until the next keystroke is due.
            self.wait_reply(rid, t_send + waits[k] - c.elapsed())
            rest = t_send + waits[k] - c.elapsed()
            if rest > 0:
                time.sleep(rest)
        # The last keystroke's reply (up to --final-timeout: then it is cancelled with
        # $/cancelRequest and counted as timed out), then every request's: all must be answered.
        if recs:
            self.wait_reply(recs[-1]["id"], a.final_timeout)
        t_end = c.elapsed()
        for r in recs:
            if not c.responses(r["id"]):
                c.cancel(r["id"])
                r["client_cancelled"] = True
        for r in recs:
            self.wait_reply(r["id"], t_end + a.timeout - c.elapsed())
        after = self.stats()
        return self.figures(init, warm, warmup_ms, before, after, recs, keys, start_line, t_end - t_start)

    def figures(self, init, warm, warmup_ms, before, after, recs, keys, start_line, replay_s):
        a = self.args
        c = self.client
        replies, updates = {}, {}
        for m in list(c.messages):
            if is_response(m.msg):
                replies.setdefault(m.msg.get("id"), []).append(m)
            elif m.msg.get("method") == "infilld/completionUpdate":
                updates.setdefault((m.msg.get("params") or {}).get("id"), m.t)
        problems = [{"protocol_error": e} for e in c.protocol_errors]
        problems += [{"method": r.msg["method"], "message": (r.msg.get("params") or {}).get("message")}
                     for r in c.notifications()
                     if r.msg["method"] in ("window/logMessage", "window/showMessage")
                     and (r.msg.get("params") or {}).get("type") == 1]
        problems += [{"duplicate_replies": i, "count": len(v)} for i, v in replies.items() if len(v) > 1]
        answered, late, cancelled, other, unanswered, timed_out = [], 0, {}, [], 0, 0
        nonempty, match_chars, full_line = 0, [], 0
        first_update, cancel_ms = [], []
        rows = []  # per keystroke: key, gap to the next (ms), outcome, reply time (ms), suggestion
        for r in recs:
            got = replies.get(r["id"])
            row = {"key": r["key"], "gap_ms": None if r["next_sent"] is None else
                   round((r["next_sent"] - r["sent"]) * 1000.0, 1), "outcome": "unanswered"}
            rows.append(row)
            if not got:
                unanswered += 1
                continue
            msg, t_recv = got[0].msg, got[0].t
            row["reply_ms"] = round((t_recv - r["sent"]) * 1000.0, 2)
            if "error" in msg:
                code = msg["error"].get("code")
                row["outcome"] = "error %s" % code
                if code == REQUEST_CANCELLED and r.get("client_cancelled"):
                    timed_out += 1
                elif code in (REQUEST_CANCELLED, CONTENT_MODIFIED):
                    if r["next_sent"] is not None:
                        cancel_ms.append((t_recv - r["next_sent"]) * 1000.0)
                    name = "RequestCancelled" if code == REQUEST_CANCELLED else "ContentModified"
                    cancelled[name] = cancelled.get(name, 0) + 1
                else:
                    other.append({"keystroke": r["k"], "error": msg["error"]})
                continue
            lat = (t_recv - r["sent"]) * 1000.0
            answered.append(lat)
            row["outcome"] = "answered"
            if r["next_sent"] is not None and t_recv > r["next_sent"]:
                late += 1
            items = (msg.get("result") or {}).get("items") or []
            text = items[0].get("insertText", "") if items else ""
            if isinstance(text, dict):  # a StringValue snippet
                text = text.get("value", "")
            row["suggestion"] = text
            # A suggestion the user saw: non-empty, and there before the next key.
            row["shown"] = bool(text) and (r["next_sent"] is None or t_recv <= r["next_sent"])
            if text:
                nonempty += 1
                n = common_prefix(text, r["upcoming"])
                match_chars.append(n)
                first = text.split("\n", 1)[0]
                if first and r["upcoming"].startswith(first):
                    full_line += 1
            if r["id"] in updates:
                first_update.append((updates[r["id"]] - r["sent"]) * 1000.0)

        def d(key):
            return (after.get(key) or 0) - (before.get(key) or 0)
        n = len(recs)
        # Pauses: keystrokes followed by a gap of PAUSE_MS or more (and the last one).
        pauses = [row for row in rows if row["gap_ms"] is None or row["gap_ms"] >= PAUSE_MS]
        served = sum(1 for row in pauses if row.get("shown"))
        requests = d("requests")
        hits = d("cacheHits") + d("typedThroughHits")
        out = {
            "keystrokes": n,
            "answered": len(answered),
            "cancelled": sum(cancelled.values()),
            "cancelled_by": cancelled,
            "late": late,
            "timed_out": timed_out,
            "errors": other,
            "unanswered": unanswered,
            "latency_ms": percentiles(answered),
            "cancel_reply_ms": percentiles(cancel_ms),
            "first_update_ms": percentiles(first_update) if first_update else None,
            "cache_hit_rate": round(hits / requests, 4) if requests else None,
            "forwards_per_keystroke": round(d("forwards") / n, 3) if n else None,
            "nonempty_share": round(nonempty / len(answered), 4) if answered else None,
            "pauses": len(pauses),
            "pause_share_served": round(served / len(pauses), 4) if pauses else None,
            "suggestion_match": {
                "mean_chars": round(float(np.mean(match_chars)), 2) if match_chars else None,
                "first_line_exact_share": round(full_line / nonempty, 4) if nonempty else None},
            "replay_s": round(replay_s, 2),
            "warmup_ms": round(warmup_ms, 1),
            "warmup_items": len((warm or {}).get("items") or []),
            "server_stats_delta": {k: d(k) for k in after if isinstance(after.get(k), (int, float))},
            "server_stats_after": after,
            "server_problems": problems,
            "position_encoding": self.encoding,
            "server_info": init.get("serverInfo"),
            "per_keystroke": rows,
            "typed": {"file": os.path.relpath(os.path.abspath(a.file), ROOT), "start_line": start_line + 1,
                      "chars": sum(len(k) for k in keys), "keystrokes": len(keys),
                      "suffix": a.suffix, "auto_indent": a.auto_indent, "speed": a.speed,
                      "seed": a.seed},
        }
        return out

    def close(self):
        """shutdown, exit, and the exit status (killed after the timeout)."""
        c = self.client
        try:
            self.call("shutdown", None, self.args.timeout)
            c.notify("exit")
        except (RuntimeError, TimeoutError, OSError) as e:
            print("keystroke_replay: shutdown: %s" % e, file=sys.stderr)
        c.close_input()
        status = c.wait_exit(self.args.timeout)
        if status is None:
            print("keystroke_replay: the server did not exit within %.0f s; killed" % self.args.timeout,
                  file=sys.stderr)
            c.kill()
        return status

    def failure_report(self):
        c = self.client
        return "server stderr (tail):\n%s\nlast messages:\n%s" % (
            c.stderr_text()[-3000:], c.transcript(limit=30, width=300))


def print_summary(res):
    f = res["figures"]
    lat = f["latency_ms"]

    def ms(v):
        return "-" if v is None else "%.1f" % v
    print("keystroke replay: %s from line %d, %d keystrokes in %.1f s; model %s (%s)"
          % (f["typed"]["file"], f["typed"]["start_line"], f["keystrokes"], f["replay_s"],
             res["model"]["dir"], res["model"].get("torch_dtype", "?")))
    print("  settings          %s   (positions: %s)" % (json.dumps(res["settings"]), f["position_encoding"]))
    print("  warm-up request   %s ms (includes the model load)" % ms(f["warmup_ms"]))
    print("  answered          %d (late: %d)   cancelled %d %s   timed out %d   errors %d   unanswered %d"
          % (f["answered"], f["late"], f["cancelled"], json.dumps(f["cancelled_by"]), f["timed_out"],
             len(f["errors"]), f["unanswered"]))
    print("  latency           p50 %s ms   p95 %s ms   p99 %s ms   (max %s)"
          % (ms(lat["p50"]), ms(lat["p95"]), ms(lat["p99"]), ms(lat["max"])))
    cr = f["cancel_reply_ms"]
    if cr["count"]:
        print("  cancel reply      p50 %s ms   p95 %s ms   (from the next keystroke to the cancelled reply)"
              % (ms(cr["p50"]), ms(cr["p95"])))
    if f["first_update_ms"]:
        u = f["first_update_ms"]
        print("  first update      p50 %s ms   p95 %s ms" % (ms(u["p50"]), ms(u["p95"])))
    def pct(v):
        return "-" if v is None else "%.1f%%" % (100 * v)
    print("  cache-hit rate    %s" % pct(f["cache_hit_rate"]))
    fpk = f["forwards_per_keystroke"]
    print("  forwards/keystroke %s" % ("-" if fpk is None else "%.2f" % fpk))
    print("  non-empty share   %s" % pct(f["nonempty_share"]))
    print("  pauses served     %s of %d pauses (gaps of %d ms or more) had a suggestion before the next key"
          % (pct(f["pause_share_served"]), f["pauses"], PAUSE_MS))
    m = f["suggestion_match"]
    if m["mean_chars"] is not None:
        print("  matches typed text: %.1f chars on average, first line exact %.1f%%"
              % (m["mean_chars"], 100 * m["first_line_exact_share"]))
    if f["server_problems"]:
        print("  server reported %d error message(s), first: %s"
              % (len(f["server_problems"]), f["server_problems"][0]["message"]))
    m = res["machine"]
    print("  exit status       %s   (1-minute load average before %s, after %s)"
          % (res["exit_status"], m["load_average_before"][0], m["load_average_after"][0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--infilld", default=os.path.join(ROOT, "build", "infilld"))
    ap.add_argument("--model", help="model folder (default: a tiny random Dream checkpoint)")
    ap.add_argument("--file", default=os.path.join(ROOT, "src", "context", "snippets.cpp"))
    ap.add_argument("--chars", type=int, default=400, help="characters to type")
    ap.add_argument("--start-line", type=int, help="1-based line where typing starts")
    ap.add_argument("--no-suffix", dest="suffix", action="store_false",
                    help="the document ends at the cursor (default: the rest of the file follows)")
    ap.add_argument("--auto-indent", action="store_true",
                    help="Enter brings the next line's indentation (default: typed verbatim)")
    ap.add_argument("--speed", type=float, default=1.0, help="divides every gap (2: twice as fast)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--settings", default="{}", help="initializationOptions, a JSON object")
    ap.add_argument("--encoding", default="utf-16", choices=("utf-16", "utf-8", "utf-32"),
                    help="position encoding offered to the server")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds to wait for a reply (initialize, stats, shutdown, a cancelled request)")
    ap.add_argument("--final-timeout", type=float, default=300.0,
                    help="seconds to wait for the last keystroke's reply before cancelling it")
    ap.add_argument("--load-timeout", type=float, default=600.0,
                    help="seconds to wait for the warm-up request (model load)")
    ap.add_argument("--workdir", default=os.path.join(HERE, "work"))
    ap.add_argument("--record", action="store_true", help="write bench/results/keystroke_replay_<name>.json")
    ap.add_argument("--name", help="result name (default: 'tiny' or the model folder's name)")
    args = ap.parse_args()
    try:
        args.settings_obj = json.loads(args.settings)
    except ValueError as e:
        ap.error("--settings: %s" % e)
    if not isinstance(args.settings_obj, dict):
        ap.error("--settings must be a JSON object")
    if args.chars < 1 or args.speed <= 0:
        ap.error("--chars must be >= 1 and --speed > 0")

    model_dir = args.model or tiny_model(args.workdir)
    name = args.name or ("tiny" if not args.model else os.path.basename(os.path.normpath(args.model)))
    replay = Replay(args, model_dir)
    load_before = os.getloadavg()
    status = None
    try:
        figures = replay.run()
    except (RuntimeError, TimeoutError, OSError) as e:
        status = replay.close()
        print("keystroke_replay: %s\nserver exit status %s\n%s" % (e, status, replay.failure_report()),
              file=sys.stderr)
        return 1
    except BaseException:
        replay.close()
        raise
    status = replay.close()
    commit, dirty = git_commit()
    res = {"benchmark": "keystroke replay: didChange + inlineCompletion per typed character",
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": dict(machine(), git_commit=commit, git_dirty=dirty,
                           load_average_before=[round(x, 2) for x in load_before],
                           load_average_after=[round(x, 2) for x in os.getloadavg()],
                           env={k: v for k, v in os.environ.items()  # the server inherits them
                                if k.startswith(("OMP_", "GOMP_", "ONEDNN_", "DNNL_", "OPENBLAS_", "INFILLD_"))}),
           "model": model_summary(model_dir), "settings": args.settings_obj,
           "figures": figures, "exit_status": status}
    print_summary(res)
    if args.record:
        out = os.path.join(HERE, "results", "keystroke_replay_%s.json" % name)
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        print("recorded %s" % os.path.relpath(out, ROOT))
    if status != 0 or f_bad(figures):
        print("keystroke_replay: server exit status %s\n%s" % (status, replay.failure_report()),
              file=sys.stderr)
        return 1
    return 0


def f_bad(f):
    """Anything the server got wrong: errors, missing replies, error messages."""
    return bool(f["errors"] or f["unanswered"] or f["server_problems"])


if __name__ == "__main__":
    sys.exit(main())
