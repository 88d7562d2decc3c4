"""`deskpilot run` driving programs that are not ours: xterm runs a command, xcalc adds numbers.

Windows are found by title and measured through the X server once the window manager has placed
them; the plan's coordinates come from that, never from the geometry that was asked for.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import call, find_window, require, run_cli, wait_until, write_plan

Launch = Callable[..., subprocess.Popen[bytes]]
DRIVERS = ["pyautogui", "pynput"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_xterm_runs_a_typed_command(launch: Launch, tmp_path: Path, driver: str) -> None:
    require("xterm")
    # pynput types characters with XSendEvent, which xterm ignores unless allowSendEvents is on.
    launch("xterm", "-xrm", "XTerm*allowSendEvents:true", "-T", "deskpilot-xterm",
           "-geometry", "80x20+60+60", "-e", "/bin/sh")  # fmt: skip
    _, (x, y, w, h) = find_window("deskpilot-xterm")
    out = tmp_path / "out.txt"
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", x=x + w // 2, y=y + h // 2),  # focus (jwm is click-to-focus)
        call("type_text", text=f"echo hello-deskpilot > {out}\n"),
        call("done", answer="written"),
    )
    result = run_cli("write a file from xterm", plan, tmp_path / "run", driver)

    assert result.returncode == 0, result.stderr
    wait_until(lambda: out.is_file() and out.read_text().endswith("\n"), message=f"{out}")
    assert out.read_text() == "hello-deskpilot\n"


@pytest.mark.parametrize("driver", DRIVERS)
def test_xcalc_adds_12_and_30(launch: Launch, tmp_path: Path, driver: str) -> None:
    require("xcalc", "xclip")
    launch("xcalc", "-title", "deskpilot-xcalc", "-geometry", "+400+150")
    _, (x, y, w, _) = find_window("deskpilot-xcalc")
    strip = {"x": x + w // 2, "y": y + 20}  # the number display at the top of the window
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", **strip),  # focus, away from any key of the calculator
        call("type_text", text="12+30"),
        call("key", keys="="),
        call("click", **strip),  # xcalc puts the displayed number in the PRIMARY selection
        call("done", answer="42"),
    )
    result = run_cli("add 12 and 30 in xcalc", plan, tmp_path / "run", driver)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"

    def primary() -> str:
        return subprocess.run(
            ["xclip", "-o", "-selection", "primary"], capture_output=True, text=True, timeout=5
        ).stdout.strip()

    assert wait_until(primary, message="xcalc's PRIMARY selection") == "42"
