"""Suite throughput on this machine: the built-in suite (its reference recipes, so every checker
is exercised) run with 1, 2 and 4 local workers, side by side in one run, and what each worker
costs.

    python benchmarks/bench_suites.py                  # the whole built-in suite per row
    python benchmarks/bench_suites.py --quick          # its keyboard-only tasks (no OCR)
    python benchmarks/bench_suites.py --workers 1 2 4 8 --model text-match

Columns: tasks per minute (wall clock, worker start-up included), the speed-up over one worker,
the efficiency (speed-up / workers), tasks per minute per worker (the cost curve: how much each
added desktop still brings), CPU seconds per task (this process and every worker, Xvfb and app it
started and reaped), and the pass rate (it must stay 100 %: a faster run that fails is no gain).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from deskpilot.suites import load_suite, run_suite

KEYBOARD_ONLY = [  # tasks whose reference recipe reads no screen text and whose check needs no OCR
    "form-greet-keys", "form-type-only", "xterm-echo", "xterm-mkdir", "xterm-seq",
    "xterm-remove", "xterm-title", "xterm-clipboard", "xterm-recipe", "l3afpad-append",
    "l3afpad-copy-all", "l3afpad-replace",
]  # fmt: skip


def cpu_seconds() -> float:
    """User + system time of this process and of its reaped children."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    """Run the rows and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--model", default="reference")
    parser.add_argument("--quick", action="store_true", help="the keyboard-only tasks")
    args = parser.parse_args()
    loaded = load_suite("builtin")
    only = KEYBOARD_ONLY if args.quick else None
    count = len(only or loaded.suite.task)
    print(f"built-in suite, {count} tasks, --model {args.model}, this machine")
    print(
        f"{'workers':>7} {'wall s':>7} {'tasks/min':>9} {'speed-up':>8} {'efficiency':>10} "
        f"{'per worker':>10} {'CPU s/task':>10} {'passed':>7}"
    )
    base = None
    with tempfile.TemporaryDirectory(prefix="deskpilot-bench-suites-") as scratch:
        for workers in args.workers:
            cpu, start = cpu_seconds(), time.perf_counter()
            run = run_suite(
                loaded,
                model=args.model,
                out=Path(scratch) / f"w{workers}",
                workers=workers,
                only=only,
            )
            wall, used = time.perf_counter() - start, cpu_seconds() - cpu
            rate = 60 * count / wall
            base = base or rate
            passed = sum(r.passed for r in run.results)
            print(
                f"{workers:>7} {wall:>7.1f} {rate:>9.1f} {rate / base:>7.2f}x "
                f"{rate / base / workers:>9.0%} {rate / workers:>10.1f} {used / count:>10.2f} "
                f"{passed:>3}/{count:<3}"
            )
            for r in run.results:
                if not r.passed:
                    print(f"        failed: {r.task}: {r.error or r.check}")


if __name__ == "__main__":
    main()
