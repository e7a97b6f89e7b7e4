#!/usr/bin/env python3
"""infilld's --device cuda paths end to end on the CUDA emulator (the infilld_emu binary:
the CLI linked with kernels/cuda/emu): completions equal the CPU's token for token, the
device-scored benchmark step runs, and the device choice explains itself. Ends with
`N passed, M failed, 0 skipped` (nothing here needs more than the emulator).

Usage: test_cli_emulated.py --infilld build/infilld_emu
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(HERE, "..", "lsp"))
import harness  # noqa: E402
import transcript_harness as lsp  # noqa: E402
from lsp_client import LspClient  # noqa: E402
import tiny_checkpoint  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures.append(name)


def run(binary, args, env=None, timeout=300):
    return subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def main():
    args, binary = harness.parse_args(__doc__, "where the tiny checkpoints go", 300)
    work, cleanup = harness.work_dir(args.workdir, "infilld-cuda-cli-")
    try:
        models = {}
        for arch, dtype in (("dream", "f32"), ("dream", "bf16"), ("dream", "f16"), ("llada", "f32")):
            d = os.path.join(work, "%s-%s" % (arch, dtype))
            tiny_checkpoint.write_checkpoint(d, arch, dtype, shards=1, seed=4, layers=2, hidden=64, heads=4,
                                             kv_heads=2, ffn=128, vocab=None, printable=True)
            models[(arch, dtype)] = d
        ids = ["--prefix-ids", "5,9,11,40,41", "--suffix-ids", "12,30"]
        cases = [
            ("dream f32, defaults", ("dream", "f32"), ["--max-tokens", "8"]),
            ("dream f32, dual cache in blocks", ("dream", "f32"), ["--max-tokens", "8", "--block-length", "4",
                                                                  "--cache", "dual"]),
            ("dream f32, threshold", ("dream", "f32"), ["--max-tokens", "8", "--threshold", "0.05"]),
            ("dream bf16, margin", ("dream", "bf16"), ["--max-tokens", "6", "--alg", "margin"]),
            ("dream f16, prefix cache", ("dream", "f16"), ["--max-tokens", "6", "--block-length", "3",
                                                          "--cache", "prefix"]),
            ("llada f32, confidence in blocks", ("llada", "f32"), ["--max-tokens", "8", "--block-length", "4",
                                                                  "--steps", "4"]),
        ]
        # Attention through cuBLAS for every row count, not only long ones.
        cases.append(("dream f32, dual cache, cuBLAS attention", ("dream", "f32"),
                      ["--max-tokens", "8", "--block-length", "4", "--cache", "dual"], {"INFILLD_CUDA_LONG_ATTENTION_ROWS": "1"}))
        for name, key, extra, *env in cases:
            outs = {}
            for dev in ("cpu", "cuda"):
                r = run(binary, ["complete", "--model", models[key], "--json", "--device", dev] + ids + extra,
                        env=env[0] if env else None)
                outs[dev] = json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr}
            ok = "error" not in outs["cuda"] and "error" not in outs["cpu"]
            check(name + ": the same tokens on the device as on the CPU",
                  ok and outs["cuda"]["tokens"] == outs["cpu"]["tokens"]
                  and outs["cuda"]["stats"]["revealed_per_step"] == outs["cpu"]["stats"]["revealed_per_step"],
                  json.dumps(outs)[:600])
            check(name + ": the device is named", ok and outs["cuda"]["device"].startswith("cuda: CUDA emulator"),
                  json.dumps(outs.get("cuda"))[:300])

        src = os.path.join(work, "add.py")
        with open(src, "w") as f:
            f.write("def add(a, b):\n    return \n\nprint(add(1, 2))\n")
        texts = {dev: run(binary, ["complete", src + ":2:11", "--model", models[("dream", "f32")], "--device", dev,
                                   "--max-tokens", "6"]) for dev in ("cpu", "cuda")}
        print("   middle on both: %r" % texts["cuda"].stdout)
        check("text through the context engine: the same middle",
              texts["cpu"].returncode == 0 and texts["cuda"].returncode == 0 and texts["cpu"].stdout == texts["cuda"].stdout,
              repr((texts["cpu"].stdout, texts["cuda"].stdout, texts["cuda"].stderr))[:400])

        bench = run(binary, ["bench", "forward", "--model", models[("dream", "bf16")], "--device", "cuda",
                             "--positions", "12", "--repeat", "1", "--scored", "4"])
        line = json.loads(bench.stdout) if bench.returncode == 0 else {}
        check("bench forward --scored on the device", line.get("scored") == 4 and line.get("positions") == 12,
              bench.stdout + bench.stderr)
        cpu_scored = run(binary, ["bench", "forward", "--model", models[("dream", "bf16")], "--device", "cpu",
                                  "--positions", "12", "--scored", "4"])
        check("bench forward --scored on the CPU explains", cpu_scored.returncode == 2
              and "--device cuda" in cpu_scored.stderr, cpu_scored.stderr)

        small = {"INFILLD_CUDA_EMU_MEMORY_MB": "1"}
        forced = run(binary, ["complete", "--model", models[("dream", "f32")], "--device", "cuda"] + ids, env=small)
        check("a model too big for the GPU: --device cuda fails with what it needs", forced.returncode == 2
              and "the model needs" in forced.stderr and "use --device cpu" in forced.stderr, forced.stderr)
        auto = run(binary, ["complete", "--model", models[("dream", "f32")], "--device", "auto", "--json"] + ids,
                   env=small)
        check("a model too big for the GPU: auto runs on the CPU and says why", auto.returncode == 0
              and json.loads(auto.stdout)["device"] == "cpu" and "running on the CPU" in auto.stderr,
              auto.stdout[:200] + auto.stderr)
        # 8-bit weights are the CPU's: --device cuda refuses them, auto runs them on the CPU.
        q8_cuda = run(binary, ["complete", "--model", models[("dream", "bf16")], "--device", "cuda",
                               "--quantize", "q8"] + ids)
        check("--quantize q8 --device cuda: refused, saying why", q8_cuda.returncode == 2
              and "run on the CPU only" in q8_cuda.stderr, q8_cuda.stderr)
        q8_auto = run(binary, ["complete", "--model", models[("dream", "bf16")], "--quantize", "q8", "--json"] + ids)
        check("--quantize q8 with device auto: the CPU, and it says why", q8_auto.returncode == 0
              and json.loads(q8_auto.stdout)["device"] == "cpu (q8 weights)" and "8-bit weights" in q8_auto.stderr,
              q8_auto.stdout[:200] + q8_auto.stderr)
        # The language server with the "device" setting: the same suggestion on the device.
        items, devices = {}, {}
        for dev in ("cpu", "cuda"):
            with LspClient([binary, "lsp", "--model", models[("dream", "f32")]]) as c:
                lsp.initialize(c, {"device": dev, "maxTokens": 6, "debounceMs": 0, "seed": 1}, timeout=60)
                uri = "file://" + src
                lsp.open_doc(c, uri, "def add(a, b):\n    return \n\nprint(add(1, 2))\n", language="python")
                rid = lsp.inline(c, uri, {"line": 1, "character": 11})
                items[dev] = c.wait_response(rid, 300).get("result")
                devices[dev] = c.call("infilld/stats", timeout=30).get("result", {}).get("device")
                c.call("shutdown", timeout=30)
                c.notify("exit")
                c.wait_exit(10)
        check("the language server's device setting: the same suggestion, and stats name the device",
              items["cpu"] == items["cuda"] and bool((items["cuda"] or {}).get("items")) and devices["cpu"] == "cpu"
              and str(devices["cuda"]).startswith("cuda: CUDA emulator"), json.dumps([items, devices])[:500])

        bad = run(binary, ["complete", "--model", models[("dream", "f32")], "--device", "tpu"] + ids)
        check("an unknown device is a clear error", bad.returncode == 2 and
              '--device: expected one of "auto", "cpu", "cuda", found "tpu"' in bad.stderr,
              bad.stderr)
    finally:
        cleanup()
    return harness.summary(len(cases) * 2 + 7 - len(failures), len(failures))


if __name__ == "__main__":
    sys.exit(main())
