"""`deskpilot demo`: the main job on a demo window, on a virtual display when there is no screen."""

from __future__ import annotations

import contextlib
import importlib.util
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
# The embedded model is trained on one-instruction tasks: the demo gives it the job in two.
MODEL_TASKS = (f'type "{DEMO_NAME}" into Name', "click Save")  # quoted: copied token by token
MODEL_MAX_STEPS = 6


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


def _require_display() -> None:
    """Exit with a usage error that says how to get a display when ``--no-virtual`` has none."""
    from deskpilot.desktop import display_problem

    problem = display_problem()
    if problem:
        fail_usage(
            f"no display: {problem}. Set DISPLAY to a running X display (e.g. "
            "DISPLAY=:0 on a desktop session), or drop --no-virtual to run the demo on a "
            "virtual display (needs Xvfb: apt-get install xvfb)"
        )


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
    model: Annotated[
        str | None,
        typer.Option(
            help="Model: a folder, text-match, or script:PLAN (default: the embedded model)."
        ),
    ] = None,
    scripted: Annotated[
        bool,
        typer.Option(
            help="Drive the form with a scripted plan from its geometry instead of a model."
        ),
    ] = False,
) -> None:
    """Open a demo window and let the agent fill it in; write the trajectory and an HTML report.

    With a model (the embedded one by default, which reads the screen's text) the agent gets two
    tasks, typing the name into the form and clicking Save, and sees nothing but the
    screen; ``--scripted`` replays a plan made from the window's own geometry (the toolkit without
    a model)."""
    from deskpilot.cli.run import run_task
    from deskpilot.cli.session import SessionOptions
    from deskpilot.xvfb import VirtualDisplay

    use_virtual = not os.environ.get("DISPLAY") if virtual is None else virtual
    if not use_virtual:
        _require_display()
    if importlib.util.find_spec("tkinter") is None:
        fail_usage("the demo window needs Tk: apt-get install python3-tk")
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
        if scripted:
            plan = run_dir / "plan.jsonl"
            plan.write_text("".join(json.dumps(c) + "\n" for c in demo_plan(state)))
            (run_dir / "steps.jsonl").unlink(missing_ok=True)
            options = SessionOptions(run_dir=run_dir, driver=driver)
            results = [run_task(DEMO_TASK, model=f"script:{plan}", options=options)]
            reports = [run_dir / "report.html"]
        else:
            results, reports = [], []
            for index, task in enumerate(MODEL_TASKS, 1):
                task_dir = run_dir / f"task{index}"
                (task_dir / "steps.jsonl").unlink(missing_ok=True)
                options = SessionOptions(run_dir=task_dir, driver=driver)
                results.append(
                    run_task(task, model=model, options=options, max_steps=MODEL_MAX_STEPS)
                )
                reports.append(task_dir / "report.html")
                if results[-1].outcome.value != "done":
                    break
        time.sleep(0.3)
        saved = json.loads(state_file.read_text()).get("saved")
    ok = all(r.outcome.value == "done" for r in results) and saved == DEMO_NAME
    shown = ", ".join(str(r) for r in reports)
    said = f"the window saved {saved!r}" if saved else "the window saved nothing"
    err.print(f"{said}; report: {shown}", highlight=False)
    err.print("[bold green]demo succeeded[/]" if ok else "[bold red]demo failed[/]")
    raise typer.Exit(0 if ok else 1)
