"""Kill-switch stop latency on Xvfb: the hotkey pressed (xdotool, as a person would) while
`type_text` types a long string. Prints, over several trials, the time from the key press to the
stop flag and to the last typed character. Target: < 200 ms.

Run: ``python benchmarks/bench_killswitch.py`` (needs xvfb, jwm and xdotool).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import threading
import time

from rich.console import Console
from rich.table import Table

from deskpilot.drivers import create_driver
from deskpilot.policies.killswitch import KillSwitch
from deskpilot.stopflag import StopFlag, Stopped
from deskpilot.xvfb import VirtualDisplay


def trial(driver_name: str) -> tuple[float, float, int]:
    """One trial: (ms press -> flag, ms press -> typing stopped, characters typed)."""
    stop = StopFlag()
    switch = KillSwitch(stop, "ctrl+alt+k").start()
    driver = create_driver(driver_name, stop)
    typed: list[float] = []
    original = stop.check

    def check() -> None:
        original()
        typed.append(time.perf_counter())

    stop.check = check  # type: ignore[method-assign]
    pressed_at: list[float] = []
    flagged_at: list[float] = []
    original_set = stop.set

    def flag(reason: str = "") -> None:
        flagged_at.append(time.perf_counter())
        original_set(reason)

    stop.set = flag  # type: ignore[method-assign]

    def press() -> None:
        time.sleep(0.3)
        pressed_at.append(time.perf_counter())
        subprocess.run(["xdotool", "key", "ctrl+alt+k"], check=True)

    presser = threading.Thread(target=press)
    presser.start()
    with contextlib.suppress(Stopped):
        driver.type_text("x" * 2000)
    presser.join()
    switch.close()
    stopped_at = typed[-1]
    return ((flagged_at[0] - pressed_at[0]) * 1000, (stopped_at - pressed_at[0]) * 1000, len(typed))


def main() -> None:
    """Run the trials on a private Xvfb and print a table."""
    table = Table(
        "driver",
        "press -> stop flag (ms)",
        "press -> typing stopped (ms)",
        "chars typed",
        title="kill-switch stop latency (median of 5, p95 of 5)",
    )
    with VirtualDisplay(1280, 800) as display:
        os.environ["DISPLAY"] = display.display
        for name in ("pyautogui", "pynput"):
            results = [trial(name) for _ in range(5)]
            flag = [r[0] for r in results]
            halt = [r[1] for r in results]
            table.add_row(
                name,
                f"{statistics.median(flag):.1f} (max {max(flag):.1f})",
                f"{statistics.median(halt):.1f} (max {max(halt):.1f})",
                f"{statistics.median(r[2] for r in results):.0f} of 2000",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
