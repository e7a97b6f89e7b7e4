#!/usr/bin/env python3
"""How an infilld process starts (src/cli/main.cpp, src/cli/cuda_module.h): OpenMP's threads
wait passively unless the user chose otherwise, and the CUDA runtime and cuBLAS are loaded
only where an NVIDIA driver is present (they cost ~100 ms of every start when linked in).

Cases:
- the OpenMP wait policy the process runs with (libgomp's own report, OMP_DISPLAY_ENV):
  passive by default (spin count 0), the user's OMP_WAIT_POLICY=active kept;
- the libraries a completion loads (the dynamic loader's own report, LD_DEBUG=libs): no
  CUDA library without a driver; with one, the module and the GPU;
- with the CUDA module built: loaded on request without a driver (INFILLD_CUDA_PROBE=always)
  it resolves against the binary and answers that no device is visible; a missing module
  is named in the error of --device cuda, and --device auto completes on the CPU with a note.

    test_process_start.py --infilld PATH [--only SUBSTRING]
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import harness  # noqa: E402

MODEL = os.path.join(REPO, "models", "default")
TARGET = os.path.join(REPO, "examples", "primes.py") + ":10:9"
DRIVER_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia/version", "/dev/dxg")


def run(binary, args, env_extra, timeout):
    env = dict(os.environ)
    for k in ("OMP_WAIT_POLICY", "OMP_DISPLAY_ENV", "INFILLD_CUDA_PROBE", "INFILLD_CUDA_MODULE", "LD_DEBUG"):
        env.pop(k, None)
    env.update(env_extra)
    return subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=timeout)


def spin_counts(stderr):
    """GOMP_SPINCOUNT of each libgomp report, in order (a process that starts itself again
    with the policy set reports twice: the last is the one that runs)."""
    return re.findall(r"GOMP_SPINCOUNT = '(\d+)'", stderr)


def loaded_libraries(stderr):
    return re.findall(r"calling init: (\S+)", stderr)


def main(argv=None):
    a, binary = harness.parse_args(__doc__, "unused", 120, argv)
    module = os.path.join(os.path.dirname(os.path.abspath(binary)), "libinfilld_cuda.so")
    has_module = os.path.exists(module)
    driver = any(os.path.exists(p) for p in DRIVER_FILES)
    complete = ["complete", "--model", MODEL, "--max-tokens", "4", TARGET]
    results = []

    def case(name, fn):
        if a.only and a.only not in name:
            return
        try:
            fn()
            print("ok  ", name, flush=True)
            results.append(True)
        except AssertionError as e:
            print("FAIL", name, "--", e, flush=True)
            results.append(False)

    def passive_by_default():
        p = run(binary, ["--version"], {"OMP_DISPLAY_ENV": "verbose"}, a.timeout)
        assert p.returncode == 0, p.stderr
        counts = spin_counts(p.stderr)
        assert counts and counts[-1] == "0", "spin counts %s: the running process is not passive" % counts

    def user_policy_kept():
        p = run(binary, ["--version"], {"OMP_DISPLAY_ENV": "verbose", "OMP_WAIT_POLICY": "active"}, a.timeout)
        counts = spin_counts(p.stderr)
        assert len(counts) == 1, "expected one start with the user's policy, saw %s" % counts
        assert int(counts[0]) > 300000, "active policy not kept: spin count %s" % counts[0]

    def cuda_only_with_driver():
        p = run(binary, complete + ["--json"], {"LD_DEBUG": "libs"}, a.timeout)
        assert p.returncode == 0, p.stderr[-2000:]
        libs = loaded_libraries(p.stderr)
        assert any("libc.so" in l for l in libs), "LD_DEBUG=libs reported nothing: %s" % p.stderr[:300]
        cuda_libs = [l for l in libs if re.search(r"libcu(blas|blasLt|dart)\.so|libinfilld_cuda", l)]
        if driver and has_module:
            assert any("libinfilld_cuda" in l for l in cuda_libs), "a driver is present but the module was not loaded"
        else:
            assert not cuda_libs, "CUDA libraries loaded without a driver: %s" % cuda_libs

    def module_loads_and_finds_no_device():
        p = run(binary, complete + ["--device", "cuda"], {"INFILLD_CUDA_PROBE": "always", "LD_DEBUG": "libs"},
                a.timeout)
        libs = loaded_libraries(p.stderr)
        assert any("libinfilld_cuda" in l for l in libs), "the module was not loaded"
        assert any("libcublas" in l for l in libs), "the module did not bring cuBLAS"
        if driver:
            assert p.returncode == 0, p.stderr[-2000:]
        else:
            assert p.returncode == 2, "status %d" % p.returncode
            assert "no CUDA device is visible" in p.stderr, p.stderr[-500:]
            assert "could not be loaded" not in p.stderr, p.stderr[-500:]

    def missing_module_named():
        env = {"INFILLD_CUDA_PROBE": "always", "INFILLD_CUDA_MODULE": "/nonexistent/libinfilld_cuda.so"}
        p = run(binary, complete + ["--device", "cuda"], env, a.timeout)
        assert p.returncode == 2, "status %d" % p.returncode
        assert "/nonexistent/libinfilld_cuda.so" in p.stderr and "not found" in p.stderr, p.stderr[-500:]
        p = run(binary, complete, env, a.timeout)
        assert p.returncode == 0, p.stderr[-500:]
        assert "running on the CPU" in p.stderr and "/nonexistent" in p.stderr, p.stderr[-500:]
        assert p.stdout.strip(), "no completion printed"

    case("openmp: passive by default", passive_by_default)
    case("openmp: the user's OMP_WAIT_POLICY kept, one start", user_policy_kept)
    case("cuda: libraries loaded only with a driver", cuda_only_with_driver)
    if has_module:
        case("cuda module: loads against the binary and says no device is visible", module_loads_and_finds_no_device)
        case("cuda module: a missing module is named; auto falls back with a note", missing_module_named)
    else:
        print("(this build has no CUDA module: the module cases do not apply)")
    passed = sum(results)
    failed = len(results) - passed
    print("%d passed, %d failed, 0 skipped" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
