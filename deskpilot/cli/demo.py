"""`deskpilot demo`: the main job on a demo window, on a virtual display when there is no screen."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from deskpilot.cli.common import err, fail_usage, usage_errors

DEMO_TASK = "type Ada Lovelace into the Name field and click Save"
DEMO_NAME = "Ada Lovelace"


def _wait_for_state(
    path: Path, proc: subprocess.Popen[bytes], timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail_usage(f"the demo window exited with code {proc.returncode} (is Tk installed?)")
        with contextlib.suppress(OSError, json.JSONDecodeError):
            state: dict[str, Any] = json.loads(path.read_text())
            if state.get("mapped") and state["widgets"]["save"][2] > 1:
                return state
        time.sleep(0.05)
    fail_usage("the demo window did not appear within 20 s")


def _center(rect: list[int]) -> tuple[int, int]:
    x, y, w, h = rect
    return x + w // 2, y + h // 2


def demo_plan(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The scripted plan (screen pixels) for the demo task, from the window's own geometry."""
    name_x, name_y = _center(state["widgets"]["name"])
    save_x, save_y = _center(state["widgets"]["save"])
    return [
        {"name": "click", "arguments": {"x": name_x, "y": name_y}},
        {"name": "type_text", "arguments": {"text": DEMO_NAME}},
        {"name": "click", "arguments": {"x": save_x, "y": save_y}},
        {"name": "done", "arguments": {"answer": f"saved the name {DEMO_NAME}"}},
    ]


def demo(
    run_dir: Annotated[Path, typer.Option(help="Where to write the trajectory and report.")] = Path(
        "runs/demo"
    ),
    driver: Annotated[str, typer.Option(help="Input driver: pyautogui or pynput.")] = "pyautogui",
    virtual: Annotated[
        bool | None,
        typer.Option(help="Use a virtual display (default: only when DISPLAY is not set)."),
    ] = None,
) -> None:
    """Open a demo window and let the agent fill it in; write the trajectory and an HTML report."""
    from deskpilot.cli.run import run_task
    from deskpilot.cli.session import SessionOptions
    from deskpilot.xvfb import VirtualDisplay

    use_virtual = not os.environ.get("DISPLAY") if virtual is None else virtual
    with contextlib.ExitStack() as stack:
        if use_virtual:
            with usage_errors():
                display = stack.enter_context(VirtualDisplay())
            os.environ["DISPLAY"] = display.display
            err.print(f"started a virtual display {display.display}", highlight=False)
        run_dir.mkdir(parents=True, exist_ok=True)
        state_file = run_dir / "demo-state.json"
        state_file.unlink(missing_ok=True)
        app = subprocess.Popen([sys.executable, "-m", "deskpilot.demo.app", str(state_file)])
        stack.callback(app.wait)
        stack.callback(app.terminate)
        state = _wait_for_state(state_file, app)
        plan = run_dir / "plan.jsonl"
        plan.write_text("".join(json.dumps(c) + "\n" for c in demo_plan(state)))
        steps_file = run_dir / "steps.jsonl"
        steps_file.unlink(missing_ok=True)
        options = SessionOptions(run_dir=run_dir, driver=driver)
        result = run_task(DEMO_TASK, model=f"script:{plan}", options=options)
        time.sleep(0.3)
        saved = json.loads(state_file.read_text()).get("saved")
    ok = result.outcome.value == "done" and saved == DEMO_NAME
    err.print(f"the window saved {saved!r}; report: {run_dir / 'report.html'}", highlight=False)
    err.print("[bold green]demo succeeded[/]" if ok else "[bold red]demo failed[/]")
    raise typer.Exit(0 if ok else 1)
