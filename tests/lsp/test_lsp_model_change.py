#!/usr/bin/env python3
"""The model's files change under a running language server (issue 15): the weights file
rewritten or truncated in place (as `open(path, "wb")` or a re-download does), or replaced
by a rename. The server must stay up, answer every request (an error naming the file while
the folder is broken), and serve completions from the new file once it is whole; its
watch on the folder reloads a changed folder with no request at all (loading, then ready;
error while the folder is broken). Each case copies a tiny printable checkpoint into a
folder of its own and changes that copy.

    test_lsp_model_change.py --infilld PATH [--workdir DIR] [--only NAME[,NAME...]]
"""
import os
import shutil
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript_harness import *  # noqa: E402,F401,F403  (the cases' shared vocabulary)
from transcript_harness import collect, main  # noqa: E402

OPTIONS = {"debounceMs": 0, "speculative": False, "cacheSize": 0}
TEXT = "int add(int a, int b) {\n  return \n}\n"
WEIGHTS = "model.safetensors"


def served(k):
    """A copy of the cases' model, a server on it, and an open document."""
    folder = os.path.join(k.tmp, k.name + "-model")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(k.model, folder)
    c = k.start(model=folder)
    initialize(c, options=OPTIONS)
    uri = k.uri()
    open_doc(c, uri, TEXT)
    return c, folder, uri, pos_of(TEXT, "return ")


def weights(folder):
    with open(os.path.join(folder, WEIGHTS), "rb") as f:
        return f.read()


def rewrite_in_place(folder, data):
    with open(os.path.join(folder, WEIGHTS), "r+b") as f:  # the same inode, new bytes
        f.truncate(0)
        f.write(data)


def fails_naming_the_file(c, uri, pos, what):
    rid = inline(c, uri, pos)
    expect_error(c.wait_response(rid, 60), rid, -32803, what, mentions=(WEIGHTS,))


def recovers(c, uri, pos, what, attempts=40):
    """Requests until one completes (the server loads the folder again on the way)."""
    for _ in range(attempts):
        rid = inline(c, uri, pos)
        resp = c.wait_response(rid, 60)
        if "result" in resp:
            return nonempty(check_items(expect_result(resp, rid, what), pos, what), what)
        check(resp.get("error", {}).get("code") in (-32803, -32802, -32800),
              "%s: unexpected reply %r" % (what, resp))
    raise Fail("%s: no completion after %d requests" % (what, attempts))


def case_truncated_then_whole(k):
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    original = weights(folder)
    rewrite_in_place(folder, original[: len(original) // 2])  # a re-download cut short
    fails_naming_the_file(c, uri, pos, "weights truncated in place")
    fails_naming_the_file(c, uri, pos, "still truncated: the folder does not load")
    rewrite_in_place(folder, original)  # whole again
    recovers(c, uri, pos, "weights whole again")
    finish(c, allow_null=0)


def case_rewritten_same_size(k):
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    data = weights(folder)
    rewrite_in_place(folder, data)  # same bytes, new modification time
    os.utime(os.path.join(folder, WEIGHTS), (1, 1))
    fails_naming_the_file(c, uri, pos, "weights rewritten in place")
    recovers(c, uri, pos, "after the rewrite")
    finish(c)


def case_replaced_by_rename(k):
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    path = os.path.join(folder, WEIGHTS)
    shutil.copyfile(path, path + ".new")
    os.replace(path + ".new", path)  # what retrain.sh and our writers do
    fails_naming_the_file(c, uri, pos, "weights replaced")
    recovers(c, uri, pos, "after the replacement")
    finish(c)


def case_truncated_during_requests(k):
    """Requests in flight while the file is cut: every request gets exactly one reply
    (a completion, or an error), the process stays up, and it recovers afterwards."""
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    original = weights(folder)
    ids = [inline(c, uri, pos) for _ in range(6)]
    cutter = threading.Thread(target=rewrite_in_place, args=(folder, original[: len(original) // 3]))
    cutter.start()
    ids += [inline(c, uri, pos) for _ in range(6)]
    cutter.join()
    for rid in ids:
        resp = c.wait_response(rid, 60)
        check("result" in resp or resp.get("error", {}).get("code") in (-32803, -32802, -32800),
              "request %r: %r" % (rid, resp))
    stats(c)  # still up and answering
    rewrite_in_place(folder, original)
    recovers(c, uri, pos, "after the cut")
    finish(c)


def status_after(c, mark, state, mentions=None, timeout=60):
    """The first didChangeStatus `state` after message `mark`; its index."""
    return c.wait_notification(
        "didChangeStatus", lambda p: (p or {}).get("state") == state and
        (mentions is None or mentions in (p or {}).get("message", "")), timeout, since=mark).index


def case_reloads_without_a_request(k):
    """The folder watch: a weights file replaced while nothing is asked is loaded again on
    its own (loading, then ready), and the next request is served from it."""
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    status_after(c, 0, "ready")
    mark = c.mark()
    path = os.path.join(folder, WEIGHTS)
    shutil.copyfile(path, path + ".new")
    os.replace(path + ".new", path)
    loading = status_after(c, mark, "loading")
    status_after(c, loading, "ready")
    s0 = stats(c)
    complete(c, uri, pos, "after the reload", timeout=60)
    check(delta(stats(c), s0, "errors") == 0, "the request after the reload failed")
    finish(c)


def case_broken_folder_reported(k):
    """The folder watch: weights cut short while nothing is asked put the server in the
    error state naming the file; made whole again, it loads them (ready) on its own."""
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "before the change", timeout=60)
    status_after(c, 0, "ready")
    original = weights(folder)
    mark = c.mark()
    rewrite_in_place(folder, original[: len(original) // 2])
    broken = status_after(c, mark, "error", mentions=WEIGHTS)
    rewrite_in_place(folder, original)
    status_after(c, broken, "ready")
    complete(c, uri, pos, "after the repair", timeout=60)
    finish(c)


def case_quantize_setting_reloads(k):
    """The quantize setting changed while serving: the model is loaded again with 8-bit
    weights (device "cpu (q8 weights)"), requests go on; a bad value is an error that keeps
    the weights as they are."""
    c, folder, uri, pos = served(k)
    complete(c, uri, pos, "as stored", timeout=60)
    check(stats(c).get("device") == "cpu", "device before: %r" % stats(c).get("device"))
    mark = c.mark()
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"quantize": "q8"}}})
    status_after(c, status_after(c, mark, "loading"), "ready")
    check(stats(c).get("device") == "cpu (q8 weights)", "device after: %r" % stats(c).get("device"))
    complete(c, uri, pos, "with q8 weights", timeout=60)
    c.notify("workspace/didChangeConfiguration", {"settings": {"infilld": {"quantize": "q4"}}})
    c.wait_notification("window/showMessage", lambda p: "quantize" in (p or {}).get("message", ""), 30)
    check(stats(c).get("device") == "cpu (q8 weights)", "a bad value changed the weights")
    complete(c, uri, pos, "after the bad value", timeout=60)
    finish(c)


if __name__ == "__main__":
    sys.exit(main(__doc__, collect(globals())))
