"""Record what a person does on the demo form (input through XTEST, as from a real keyboard), then
replay it: unchanged screens need no re-grounding; a moved window is re-grounded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.recipes.schema import load_recipe
from deskpilot.tools import ToolRegistry
from deskpilot.xvfb import VirtualDisplay
from tests.desktop.conftest import (
    center,
    deskpilot,
    settled_form,
    start_demo,
    wait_until,
    xdotool,
)


def wait_for(read: Callable[[], dict[str, Any]], key: str, value: Any, timeout: float = 10) -> None:
    """Wait until the form's state has ``key == value``; on timeout say what the state was."""
    try:
        wait_until(lambda: read()[key] == value, timeout=timeout, message=f"{key} == {value!r}")
    except AssertionError as error:
        raise AssertionError(f"{error}; the form's state: {read()}") from None


def record_demo(display: VirtualDisplay, read: Callable[[], dict[str, Any]], out: Path) -> str:
    """Record a person's click into the name field, "Ada", and a click on Save; return stderr.

    Each input waits for the form to have taken in the one before (keyboard focus, the text), so a
    loaded machine or a slow window manager cannot send keys to a window that has no focus yet."""
    state = read()
    recorder = subprocess.Popen(
        [sys.executable, "-m", "deskpilot", "record", str(out)],
        env=display.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert recorder.stderr is not None
        ready = recorder.stderr.readline()  # printed once the listeners are running
        assert ready.startswith("recording"), ready
        xdotool("mousemove", *map(str, center(state["widgets"]["name"])), "click", "1")
        wait_for(read, "focus", "name")
        xdotool("type", "--delay", "20", "Ada")
        wait_for(read, "name", "Ada")
        xdotool("mousemove", *map(str, center(state["widgets"]["save"])), "click", "1")
        time.sleep(0.3)
        xdotool("key", "ctrl+alt+r")
        _, rest = recorder.communicate(timeout=15)
        stderr = ready + rest
    finally:
        if recorder.poll() is None:
            recorder.kill()
            recorder.wait()
    return stderr


def test_record_then_replay_on_a_moved_window(
    display: VirtualDisplay, launch: Callable[..., Any], tmp_path: Path
) -> None:
    proc, form = start_demo(launch, tmp_path / "first.json")
    out = tmp_path / "recorded.toml"
    stderr = record_demo(display, form, out)
    assert "wrote 3 steps" in stderr, stderr + out.read_text()
    recipe = load_recipe(out, ToolRegistry())
    assert [s.tool for s in recipe.step] == ["click", "type_text", "click"]
    assert recipe.step[1].args == {"text": "Ada"}
    assert recipe.step[2].target_text == "Save"  # read under the click, for replay to look for
    assert recipe.step[0].target_text is None  # an empty field says nothing
    assert all((out.parent / s.expect_crop).is_file() for s in recipe.step if s.expect_crop)
    wait_for(form, "saved", "Ada")  # the recording itself saved Ada
    proc.terminate()
    proc.wait()

    # a fresh form that the window manager or the user put somewhere else
    fresh_proc, fresh = start_demo(launch, tmp_path / "fresh.json")
    window = xdotool("search", "--sync", "--name", "deskpilot demo").split()[-1]
    xdotool("windowmove", "--sync", window, "480", "330")
    moved = settled_form(fresh, fresh_proc)  # the X server has it moved: the form must agree
    assert moved["widgets"]["save"] != form()["widgets"]["save"]
    result = deskpilot("recipe", "run", str(out), "--run-dir", str(tmp_path / "replay"))
    assert result.returncode == 0, result.stderr
    wait_for(fresh, "saved", "Ada")  # the replay did
    # Save by its text, the empty field by the recorded crop
    assert "replay: 2 of 2 recorded targets re-grounded (template: 1, text: 1)" in result.stderr


def test_replay_of_an_unchanged_screen_needs_no_regrounding(
    display: VirtualDisplay, demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "recorded.toml"
    record_demo(display, demo_app, out)
    wait_for(demo_app, "saved", "Ada")
    # the same window: put the name field back the way it was when recording began
    xdotool("mousemove", *map(str, center(demo_app()["widgets"]["name"])), "click", "1")
    xdotool("key", "ctrl+a", "BackSpace")
    xdotool("mousemove", "5", "700")
    time.sleep(0.4)
    result = deskpilot("recipe", "run", str(out), "--run-dir", str(tmp_path / "replay"))
    assert result.returncode == 0, result.stderr
    assert "replay: 0 of 2 recorded targets re-grounded" in result.stderr
