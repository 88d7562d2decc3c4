"""Toolkit benchmarks, printed side by side in one run (not timed assertions).

1. Capture: deskpilot's MssScreen.grab() vs a raw mss grab of the same monitor (target: within 1.5x).
2. Overhead per action: parse + validate + policy, no driver (target: p50 under 1 ms).
3. Step time with the scripted model on Xvfb: observe -> act -> record, p50 / p95.

Run: ``python benchmarks/bench_toolkit.py`` (starts its own Xvfb; needs xvfb installed).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.table import Table

from deskpilot.agent import Actuator, Agent, Trajectory
from deskpilot.cli.common import CliConsole
from deskpilot.drivers import create_driver
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.runtime import ScriptedModel
from deskpilot.screen import MssScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from deskpilot.xvfb import VirtualDisplay

console = CliConsole()  # piped: whole lines, no wrapping


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall time of each of ``repeat`` calls (after 5 warm-up calls)."""
    for _ in range(5):
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return samples


def bench_capture(table: Table) -> None:
    import mss

    screen = MssScreen(1)
    raw = mss.MSS()
    monitor = raw.monitors[1]
    ours = percentiles(timed(screen.grab, 300))
    theirs = percentiles(timed(lambda: raw.grab(monitor), 300))
    table.add_row("capture: raw mss grab", f"{theirs[0]:.2f}", f"{theirs[1]:.2f}", "baseline")
    table.add_row(
        "capture: deskpilot MssScreen.grab",
        f"{ours[0]:.2f}",
        f"{ours[1]:.2f}",
        f"{ours[0] / theirs[0]:.2f}x raw (target <= 1.5x)",
    )
    png = percentiles(timed(lambda: screen.grab().png_bytes(), 30))
    table.add_row("capture + PNG (compress 1)", f"{png[0]:.2f}", f"{png[1]:.2f}", "only when saved")
    screen.close()
    raw.close()


def bench_overhead(table: Table) -> None:
    registry = ToolRegistry()
    gate = PolicyGate(load_policy(), registry)
    calls = [
        json.dumps({"name": "click", "arguments": {"x": 412, "y": 230}}),
        json.dumps({"name": "type_text", "arguments": {"text": "hello world, this is deskpilot"}}),
        json.dumps({"name": "key", "arguments": {"keys": "ctrl+shift+t"}}),
        json.dumps(
            {"name": "drag", "arguments": {"start_x": 1, "start_y": 2, "end_x": 300, "end_y": 400}}
        ),
        json.dumps({"name": "shell", "arguments": {"command": "ls -l"}}),
    ]
    index = 0

    def one() -> None:
        nonlocal index
        gate.decide(registry.parse(calls[index % len(calls)]))
        index += 1

    p50, p95 = percentiles(timed(one, 5000))
    table.add_row(
        "overhead: parse + validate + policy", f"{p50:.3f}", f"{p95:.3f}", "target p50 < 1 ms"
    )


def bench_steps(table: Table, settle: float, count: int = 60) -> None:
    """``count`` scripted moves through the agent loop; the table gets p50 / p95 of a step and
    the median of each of its parts (whatever laps the loop records: capture, save, model,
    validate, act)."""
    moves = [
        json.dumps({"name": "move", "arguments": {"x": 100 + i * 7, "y": 100 + i * 3}})
        for i in range(count)
    ]
    model = ScriptedModel([*moves, json.dumps({"name": "done", "arguments": {}})])
    registry = ToolRegistry()
    stop = StopFlag()
    with tempfile.TemporaryDirectory() as tmp:
        session = Actuator(
            gate=PolicyGate(load_policy(), registry),
            executor=Executor(create_driver("pyautogui", stop), stop=stop),
            registry=registry,
            screen=MssScreen(1),
        )
        agent = Agent(
            model=model,
            actuator=session,
            trajectory=Trajectory(Path(tmp) / "run"),
            max_steps=100,
            settle_timeout=settle,
        )
        agent.run("benchmark")
        records = [json.loads(line) for line in (Path(tmp) / "run" / "steps.jsonl").open()]
    steps = [r["timings_ms"] for r in records if r["type"] == "step"][min(5, count // 2) :]
    total = sorted(s["total"] for s in steps)
    p50, p95 = statistics.median(total), total[int(len(total) * 0.95) - 1]
    laps = [k for k in steps[0] if k != "total" and all(k in s for s in steps)]
    parts = ", ".join(f"{k} {statistics.median(s[k] for s in steps):.1f}" for k in laps)
    label = f"step on Xvfb, scripted model (settle {'on' if settle else 'off'})"
    table.add_row(label, f"{p50:.2f}", f"{p95:.2f}", f"median ms: {parts}")


def main() -> None:
    """Run every benchmark on a private Xvfb and print one table."""
    table = Table("benchmark", "p50 ms", "p95 ms", "note", title="deskpilot toolkit benchmarks")
    with VirtualDisplay(1280, 800, window_manager=False) as display:
        os.environ["DISPLAY"] = display.display
        bench_capture(table)
        bench_overhead(table)
        bench_steps(table, settle=0.0)
        bench_steps(table, settle=1.0)
    console.print(table)
    console.print(f"cpu: {os.cpu_count()} cores; screen 1280x800 (Xvfb)")


if __name__ == "__main__":
    main()
