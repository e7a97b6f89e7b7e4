"""Runs one candidate program inside its limits (started by he_exec.py, not by hand).

    python3 -I -B he_runner.py PROGRAM.py [--cpu-s N] [--memory-mb N] [--no-guard]
                               [--trace-lines FIRST:LAST]

Reads a nonce line from stdin first, then sets the resource limits, disables the
process-, file- and environment-changing functions of os, shutil and subprocess (unless
--no-guard: the programs are untrusted model output), executes the program as __main__
and writes the nonce as the last line of stdout only if the program ran to its end. Any
exception (SystemExit included) ends with the line `he_runner: exception <Type>` on
stderr and exit status 1. --trace-lines records whether any line FIRST..LAST (1-based) of
the program ran and says so on stderr (`he_runner: executed yes|no`): the self-check uses
it to tell a wrong middle that passes because the tests never reach it.
"""
import os
import resource
import sys
import traceback


def set_limits(cpu_s, memory_mb):
    def lower(kind, value):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, hard))

    lower(resource.RLIMIT_CPU, cpu_s)
    lower(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    lower(resource.RLIMIT_FSIZE, 16 * 1024 * 1024)
    lower(resource.RLIMIT_CORE, 0)


def guard():
    """Takes away what a test of pure functions never needs."""
    import builtins
    import shutil
    import subprocess
    for name in ("kill", "killpg", "system", "putenv", "unsetenv", "remove", "removedirs",
                 "rmdir", "unlink", "rename", "renames", "replace", "truncate", "fchdir",
                 "chdir", "chmod", "fchmod", "chown", "fchown", "lchown", "chroot", "setuid",
                 "setgid", "fork", "forkpty", "execv", "execve", "execvp", "spawnv",
                 "posix_spawn", "symlink", "link", "mkfifo"):
        if hasattr(os, name):
            setattr(os, name, None)
    for name in ("rmtree", "move", "chown", "copyfile", "copytree"):
        setattr(shutil, name, None)
    subprocess.Popen = None
    builtins.help = None


class LineTracer:
    def __init__(self, path, first, last):
        self.path, self.first, self.last, self.hit = path, first, last, False

    def __call__(self, frame, event, arg):
        if self.hit or frame.f_code.co_filename != self.path:
            return None
        return self.local

    def local(self, frame, event, arg):
        if event == "line" and self.first <= frame.f_lineno <= self.last:
            self.hit = True
        return None if self.hit else self.local


def main(argv):
    path, cpu_s, memory_mb, use_guard, trace = None, 11, 4096, True, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--cpu-s":
            cpu_s, i = int(argv[i + 1]), i + 1
        elif a == "--memory-mb":
            memory_mb, i = int(argv[i + 1]), i + 1
        elif a == "--trace-lines":
            first, last = argv[i + 1].split(":")
            trace, i = (int(first), int(last)), i + 1
        elif a == "--no-guard":
            use_guard = False
        else:
            path = a
        i += 1
    nonce = sys.stdin.readline().strip()
    sys.stdin = open(os.devnull)
    with open(path, encoding="utf-8") as f:
        source = f.read()
    write, fd, exit_ = os.write, 1, os._exit
    set_limits(cpu_s, memory_mb)
    if use_guard:
        guard()
    scope = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
    tracer = LineTracer(path, *trace) if trace else None
    settrace, err = sys.settrace, sys.__stderr__

    def say_executed():
        if tracer is not None:
            settrace(None)
            err.write("\nhe_runner: executed %s\n" % ("yes" if tracer.hit else "no"))
            err.flush()

    try:
        code = compile(source, path, "exec")
        if tracer is not None:
            settrace(tracer)
        exec(code, scope)
        say_executed()
    except BaseException as e:  # noqa: B902 -- SystemExit and KeyboardInterrupt are failures too
        try:
            say_executed()
            sys.__stderr__.write(traceback.format_exc()[-3000:])
            sys.__stderr__.write("\nhe_runner: exception %s\n" % type(e).__name__)
            sys.__stderr__.flush()
        finally:
            exit_(1)
    try:
        sys.stdout.flush()
    except BaseException:  # noqa: B902
        pass
    write(fd, ("\n%s\n" % nonce).encode())
    exit_(0)


if __name__ == "__main__":
    main(sys.argv[1:])
