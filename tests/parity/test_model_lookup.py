#!/usr/bin/env python3
"""Where infilld finds its model (DESIGN.md section 1, src/cli/model_dir.h): --model DIR,
then INFILLD_MODEL, then the user's data dir ($XDG_DATA_HOME, else ~/.local/share), then
the installed share/infilld/models/default beside bin/infilld, then the source tree's
models/default (the tree it was built from, or $INFILLD_SOURCE_DIR). Each case arranges
some of these folders (tiny checkpoints from tools/tiny_checkpoint.py), runs `infilld info`
with a controlled environment and checks which folder it reports on its "model" line; with
none anywhere (a copy of the binary with no share/ beside it, INFILLD_SOURCE_DIR naming a
tree without models/default) it must fail with status 2 and name the folders it looked in.

    test_model_lookup.py --infilld PATH [--workdir DIR] [--only SUBSTRING]
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import tiny_checkpoint as tc  # noqa: E402

SOURCE_MODEL = os.path.join(REPO, "models", "default")  # the tree the binary was built from
TAIL = os.path.join("infilld", "models", "default")


def run_info(binary, env, args=()):
    p = subprocess.run([binary, "info"] + list(args), env=env, capture_output=True, text=True,
                       timeout=120)
    line = next((l for l in p.stdout.splitlines() if l.startswith("model ")), "")
    return p.returncode, line[len("model "):].strip(), p.stderr.strip()


def main(argv=None):
    a, binary = harness.parse_args(__doc__, "folders and copies", 120, argv)
    work, cleanup = harness.work_dir(a.workdir, "infilld-lookup-")
    results = []

    def model(path, seed):
        tc.write_checkpoint(path, "dream", seed=seed)
        return path

    flag_dir = model(os.path.join(work, "flag"), 1)
    env_dir = model(os.path.join(work, "env"), 2)
    home = os.path.join(work, "home")
    xdg = os.path.join(work, "xdg")
    model(os.path.join(home, ".local", "share", TAIL), 3)
    model(os.path.join(xdg, TAIL), 4)
    empty_home = os.path.join(work, "empty-home")
    os.makedirs(os.path.join(empty_home, ".local", "share", TAIL))  # a folder, no config.json
    # An installed tree: <prefix>/bin/infilld and <prefix>/share/infilld/models/default.
    prefix = os.path.join(work, "prefix")
    os.makedirs(os.path.join(prefix, "bin"))
    installed_bin = os.path.join(prefix, "bin", "infilld")
    shutil.copy2(binary, installed_bin)
    installed_model = model(os.path.join(prefix, "share", TAIL), 5)
    bare_prefix = os.path.join(work, "bare")
    os.makedirs(os.path.join(bare_prefix, "bin"))
    bare_bin = os.path.join(bare_prefix, "bin", "infilld")
    shutil.copy2(binary, bare_bin)

    # Source trees named by INFILLD_SOURCE_DIR: one with a model, one without.
    source_tree = os.path.join(work, "source")
    source_model = model(os.path.join(source_tree, "models", "default"), 6)
    empty_tree = os.path.join(work, "empty-source")
    os.makedirs(os.path.join(empty_tree, "models"))

    def env(**kv):
        e = {k: v for k, v in os.environ.items()
             if k not in ("INFILLD_MODEL", "XDG_DATA_HOME", "HOME", "INFILLD_SOURCE_DIR")}
        e.update(kv)
        return e

    def error(*looked):
        """What the error must name: the folders looked in, in order."""
        return [os.path.join(empty_home, ".local", "share", TAIL) + " (user data dir)",
                os.path.join(bare_prefix, "share", TAIL) + " (installed)"] + list(looked)

    source_ok = os.path.isfile(os.path.join(SOURCE_MODEL, "config.json"))
    cases = [
        ("--model wins over INFILLD_MODEL", binary, env(INFILLD_MODEL=env_dir, HOME=home),
         ["--model", flag_dir], flag_dir),
        ("INFILLD_MODEL wins over the user data dir", binary,
         env(INFILLD_MODEL=env_dir, HOME=home), [], env_dir),
        ("the user data dir under HOME", installed_bin, env(HOME=home), [],
         os.path.join(home, ".local", "share", TAIL)),
        ("XDG_DATA_HOME wins over HOME", installed_bin, env(HOME=home, XDG_DATA_HOME=xdg), [],
         os.path.join(xdg, TAIL)),
        ("a user folder without config.json is skipped: the installed model",
         installed_bin, env(HOME=empty_home), [], installed_model),
        ("no user model: the installed model", installed_bin, env(HOME=os.path.join(work, "none")),
         [], installed_model),
        ("nothing installed: the models/default of the tree it was built from", bare_bin,
         env(HOME=empty_home), [],
         SOURCE_MODEL if source_ok else error(SOURCE_MODEL + " (source tree)")),
        ("nothing installed: INFILLD_SOURCE_DIR's models/default", bare_bin,
         env(HOME=empty_home, INFILLD_SOURCE_DIR=source_tree), [], source_model),
        ("nothing anywhere: a clear error and status 2", bare_bin,
         env(HOME=empty_home, INFILLD_SOURCE_DIR=empty_tree), [],
         error(os.path.join(empty_tree, "models", "default") + " (source tree)")),
    ]
    for name, exe, e, args, want in cases:
        if a.only and a.only not in name:
            continue
        rc, got, err = run_info(exe, e, args)
        if isinstance(want, str):
            ok = rc == 0 and os.path.realpath(got) == os.path.realpath(want)
            detail = "exit %d, model %r, want %r; %s" % (rc, got, want, err)
        else:  # the error: one line, the usage, then every folder looked in, in order
            expected = ("infilld: error: no model: pass --model DIR (a Hugging Face checkpoint folder)"
                        " or set INFILLD_MODEL; no default model in " + ", ".join(want))
            ok = rc == 2 and err == expected and got == ""
            detail = "exit %d, stderr %r, want %r" % (rc, err, expected)
        results.append(ok)
        print("%s  %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))
    cleanup()
    status = harness.summary(results.count(True), results.count(False))
    return status if results else 1


if __name__ == "__main__":
    sys.exit(main())
