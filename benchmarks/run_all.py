"""Run every benchmark, one after the other, each in its own process.

``python benchmarks/run_all.py`` runs them at full scale and writes their
JSON (and the scaling plot) to ``benchmarks/results/``; the training
benchmark's 784-1024-1024-10 runs take most of the time. ``--quick`` runs
each at a tiny scale, in minutes, to check that everything works; its
timings mean nothing.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

#: Script, full-scale arguments, extra arguments for --quick.
BENCHMARKS = {
    "matmul_limit": ("bench_matmul_limit.py", [], ["--repeats", "20"]),
    "training": (
        "bench_training.py",
        ["--hidden", "256", "1024,1024"],
        ["--epochs", "1", "--repeats", "1", "--train-size", "3000",
         "--limit-repeats", "20"],
    ),
    "inference": (
        "bench_inference.py",
        [],
        ["--train-size", "3000", "--calls", "200", "--repeats", "3"],
    ),
    "scaling": (
        "bench_scaling.py",
        [],
        ["--sizes", "1000", "2000", "--widths", "32", "64", "--epochs", "1",
         "--repeats", "1"],
    ),
    "memory": ("bench_memory.py", [], ["--train-size", "3000", "--epochs", "1"]),
}  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny scale: checks the scripts run"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS)
    )
    parser.add_argument(
        "--results",
        default=str(BENCH_DIR / "results"),
        help="folder for the JSON files and the plot",
    )
    args = parser.parse_args(argv)

    results = Path(args.results)
    failed = []
    for name in args.only:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(BENCH_DIR / script), *full]
        if args.quick:
            command += quick
        command += ["--json", str(results / f"{name}.json")]
        if name == "scaling":
            command += ["--output", str(results / "scaling.png")]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command)
        print(f"=== {name}: exit {code} after {time.perf_counter() - started:.0f} s")
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    print(f"\nall done; results in {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
