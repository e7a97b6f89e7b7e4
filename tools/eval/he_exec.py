"""Executing a candidate program with its tests: a subprocess, a timeout, resource limits.

Each program runs in a fresh temporary directory under `python3 -I -B he_runner.py`,
in its own session (the whole process group is killed on timeout), with
stdout and stderr going to files (so a program that prints without end is stopped by the
file-size limit rather than filling memory). The runner sets the limits (CPU seconds,
address space, file size, no core files), reads a random nonce from stdin, executes the
program and prints the nonce only when it ran to its end without an exception. A program
passes when the runner exits 0 and the last line of its stdout is the nonce: a test that
calls sys.exit(0) or os._exit(0) early, or never reaches check(), does not pass.
"""
import concurrent.futures
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "he_runner.py")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 4096


def _tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(source, timeout_s=DEFAULT_TIMEOUT_S, memory_mb=DEFAULT_MEMORY_MB,
                python=None, guard=True, trace_lines=None):
    """Runs one program; returns {'passed': bool, 'status': str, 'seconds': float,
    'stderr': tail}. status: passed, failed (AssertionError), error: <Type>, timeout,
    killed (signal N), no-sentinel (exited 0 without finishing). With trace_lines
    (first, last), 'executed' says whether any of those program lines ran (None: unknown,
    e.g. on timeout)."""
    python = python or sys.executable
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="he_exec_") as tmp:
        prog = os.path.join(tmp, "program.py")
        with open(prog, "w", encoding="utf-8") as f:
            f.write(source)
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        cmd = [python, "-I", "-B", RUNNER, prog, "--cpu-s", str(int(timeout_s) + 1),
               "--memory-mb", str(int(memory_mb))]
        if not guard:
            cmd.append("--no-guard")
        if trace_lines:
            cmd += ["--trace-lines", "%d:%d" % tuple(trace_lines)]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "OMP_NUM_THREADS": "1", "HOME": tmp, "TMPDIR": tmp}
        t0 = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=out,
                                    stderr=err, start_new_session=True)
            timed_out = False
            try:
                proc.communicate((nonce + "\n").encode(), timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)  # the runner is not reaped yet: its group id is ours
                proc.wait()
        seconds = time.monotonic() - t0
        stdout, stderr = _tail(out_path, 200), _tail(err_path)
    rc = proc.returncode
    last = stdout.rstrip("\n").rsplit("\n", 1)[-1] if stdout.strip() else ""
    if timed_out:
        status = "timeout"
    elif rc == 0 and last == nonce:
        status = "passed"
    elif rc == 0:
        status = "no-sentinel"
    elif rc < 0:
        status = "killed (signal %d)" % -rc
    else:
        kind = ""
        for line in reversed(stderr.splitlines()):
            if line.startswith("he_runner: exception "):
                kind = line[len("he_runner: exception "):].strip()
                break
        status = "failed" if kind == "AssertionError" else "error: %s" % (kind or "exit %d" % rc)
    result = {"passed": status == "passed", "status": status, "seconds": round(seconds, 4),
              "stderr": stderr[-600:]}
    if trace_lines:
        result["executed"] = ("he_runner: executed yes" in stderr if "he_runner: executed"
                              in stderr else None)
    return result


def run_many(jobs, jobs_n=1, progress=None, **kw):
    """Runs programs with `jobs_n` workers; results in the same order. Each job is a
    source string or a (source, extra keyword arguments) pair. `progress(done, total)`
    is called every 200 programs and at the end."""
    done = [0]
    lock = threading.Lock()

    def one(job):
        src, extra = (job, {}) if isinstance(job, str) else job
        r = run_program(src, **dict(kw, **extra))
        with lock:
            done[0] += 1
            if progress and (done[0] % 200 == 0 or done[0] == len(jobs)):
                progress(done[0], len(jobs))
        return r
    if jobs_n <= 1 or len(jobs) <= 1:
        return [one(j) for j in jobs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_n) as pool:
        return list(pool.map(one, jobs))
