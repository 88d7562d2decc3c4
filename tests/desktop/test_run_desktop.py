"""`deskpilot run --model script:...` on real windows: the tests' Tk app with both drivers, xterm
writing a file, xcalc adding numbers; and bad input that must never reach the app."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.conftest import center, deskpilot, wait_until, xdotool

TK_APP = Path(__file__).with_name("tk_app.py")


@pytest.fixture
def tk_app(launch: Callable[..., Any], tmp_path: Path) -> Callable[[], dict[str, Any]]:
    state = tmp_path / "tk-state.json"
    launch(sys.executable, str(TK_APP), str(state))

    def read() -> dict[str, Any]:
        return json.loads(state.read_text())

    wait_until(lambda: state.exists() and read()["mapped"] and read()["widgets"]["canvas"][2] > 1,
               message="the Tk app")  # fmt: skip
    time.sleep(0.3)
    return read


def window_origin(window: str) -> tuple[int, int, int]:
    """Absolute left, top and width of a window (xdotool's geometry is off under a reparenting
    window manager; xwininfo's absolute corner is not)."""
    info = subprocess.run(["xwininfo", "-id", window], capture_output=True, text=True, check=True)
    values = dict(line.strip().split(": ", 1) for line in info.stdout.splitlines() if ": " in line)
    return (int(values["Absolute upper-left X"]), int(values["Absolute upper-left Y"]),
            int(values["Width"]))  # fmt: skip


def plan(tmp_path: Path, *calls: dict[str, Any] | str) -> str:
    path = tmp_path / "plan.jsonl"
    path.write_text("".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in calls))
    return f"script:{path}"


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


@pytest.mark.parametrize("driver", ["pyautogui", "pynput"])
def test_click_type_and_a_key_combination(tk_app: Callable[[], dict[str, Any]], tmp_path: Path,
                                          driver: str) -> None:  # fmt: skip
    widgets = tk_app()["widgets"]
    model = plan(tmp_path, call("click", **dict(zip("xy", center(widgets["button"]), strict=True))),
                 call("click", **dict(zip("xy", center(widgets["entry"]), strict=True))),
                 call("type_text", text="Hello, Tk!"), call("key", keys="ctrl+s"),
                 call("key", keys="ctrl+shift+k"), call("done", answer="all done"))  # fmt: skip
    run_dir = tmp_path / "run"
    result = deskpilot("run", "exercise the app", "--model", model, "--driver", driver,
                       "--run-dir", str(run_dir))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "all done"
    state = wait_until(lambda: (s := tk_app())["combo"] and s, message="ctrl+shift+k seen")
    assert (state["clicks"], state["saved"], state["text"]) == (1, "Hello, Tk!", "Hello, Tk!")
    steps = [json.loads(line) for line in (run_dir / "steps.jsonl").open()]
    assert [s["type"] for s in steps] == ["run", *["step"] * 6, "end"]
    assert all((run_dir / s["screenshot"]).is_file() for s in steps if s["type"] == "step")
    report = (run_dir / "report.html").read_text()
    assert report.count("<circle") == 2 and "data:image/png;base64," in report


def test_double_right_click_drag_and_scroll(
    tk_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    w = tk_app()["widgets"]
    lx, ly = center(w["label"])
    cx, cy, _, _ = w["canvas"]
    model = plan(tmp_path, call("double_click", x=lx, y=ly), call("right_click", x=lx, y=ly),
                 call("drag", start_x=cx + 20, start_y=cy + 20, end_x=cx + 200, end_y=cy + 120),
                 call("scroll", x=cx + 50, y=cy + 50, dy=3), call("scroll", x=cx + 50, y=cy + 50, dy=-2),
                 call("done"))  # fmt: skip
    result = deskpilot("run", "pointer actions", "--model", model, "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    state = wait_until(lambda: (s := tk_app())["wheel"]["up"] >= 2 and s, message="wheel")
    assert state["double"] == 1 and state["right"] == 1
    assert state["drags"] == [[cx + 20, cy + 20, cx + 200, cy + 120]]
    assert state["wheel"] == {"up": 2, "down": 3}


def test_xterm_writes_a_file(launch: Callable[..., Any], tmp_path: Path) -> None:
    launch("xterm", "-xrm", "XTerm*allowSendEvents:true", "-geometry", "80x20+100+100")
    window = xdotool("search", "--sync", "--class", "xterm").split()[-1]
    left, top, _ = window_origin(window)
    x, y = left + 50, top + 50
    out = tmp_path / "out.txt"
    model = plan(tmp_path, call("click", x=x, y=y),
                 call("type_text", text=f"echo hello-from-deskpilot > {out}\n"), call("done"))  # fmt: skip
    result = deskpilot("run", "write a file", "--model", model, "--driver", "pynput",
                       "--run-dir", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    wait_until(out.exists, message="the file xterm writes")
    assert out.read_text() == "hello-from-deskpilot\n"


@pytest.mark.skipif(shutil.which("xcalc") is None, reason="xcalc comes with x11-apps")
def test_xcalc_adds_and_the_result_is_read_from_the_clipboard(launch: Callable[..., Any],
                                                              tmp_path: Path) -> None:  # fmt: skip
    launch("xcalc")
    window = xdotool("search", "--sync", "--name", "Calculator").split()[-1]
    xdotool("windowactivate", "--sync", window)
    left, top, width = window_origin(window)
    display_strip = (left + width - 25, top + 18)  # the number itself: clicking it selects it
    model = plan(tmp_path, call("click", x=display_strip[0], y=display_strip[1]),
                 *[call("key", keys=k) for k in ["1", "2", "plus", "3", "0", "="]][:-1],
                 call("key", keys="enter"),
                 call("click", x=display_strip[0], y=display_strip[1]), call("done"))  # fmt: skip
    result = deskpilot("run", "12+30", "--model", model, "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    primary = wait_until(lambda: subprocess.run(["xclip", "-o", "-selection", "primary"],
                                                capture_output=True, text=True).stdout.strip(),
                         message="xcalc's selection")  # fmt: skip
    assert float(primary) == 42


BAD_LINES = {
    "malformed JSON": '{"name": "click", "arguments": {"x": 1,',
    "unknown tool": json.dumps(call("teleport", x=1, y=1)),
    "extra field": json.dumps(call("click", x=1, y=1, force=True)),
    "missing field": json.dumps(call("click", x=1)),
    "wrong type": json.dumps(call("click", x="ten", y=1)),
}


@pytest.mark.parametrize("bad", BAD_LINES, ids=list(BAD_LINES))
def test_bad_model_output_never_reaches_the_app(tk_app: Callable[[], dict[str, Any]], tmp_path: Path,
                                                bad: str) -> None:  # fmt: skip
    result = deskpilot("run", "t", "--model", plan(tmp_path, *[BAD_LINES[bad]] * 4),
                       "--run-dir", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "4 invalid tool calls in a row" in result.stderr
    state = tk_app()
    assert state["clicks"] == 0 and state["double"] == state["right"] == 0


def test_off_screen_coordinates_are_rejected(
    tk_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    result = deskpilot("run", "t", "--model", plan(tmp_path, call("click", x=5000, y=10), call("done")),
                       "--run-dir", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 0
    step = json.loads((tmp_path / "r" / "steps.jsonl").read_text().splitlines()[1])
    assert "off-screen" in step["result"]["error"]
    assert tk_app()["clicks"] == 0


def test_a_denied_tool_exits_3_and_runs_nothing(
    tk_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    bx, by = center(tk_app()["widgets"]["button"])
    model = plan(tmp_path, call("shell", command="touch /tmp/pwned"), call("click", x=bx, y=by))
    result = deskpilot("run", "t", "--model", model, "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 3
    assert "shell denied: the shell is disabled by the default policy" in result.stderr
    assert tk_app()["clicks"] == 0


def test_dry_run_records_and_executes_nothing(
    tk_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    bx, by = center(tk_app()["widgets"]["button"])
    model = plan(tmp_path, call("click", x=bx, y=by), call("type_text", text="x"), call("done"))
    result = deskpilot("run", "t", "--model", model, "--dry-run", "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    steps = (tmp_path / "r" / "steps.jsonl").read_text()
    assert f"dry run: would click(x={bx}, y={by}" in steps
    assert tk_app()["clicks"] == 0


def test_missing_display_and_bad_policy_file(tmp_path: Path) -> None:
    model = plan(tmp_path, call("done"))
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = deskpilot("run", "t", "--model", model, env=env)
    assert result.returncode == 2 and "DISPLAY is not set" in result.stderr
    policy = tmp_path / "p.toml"
    policy.write_text("[[rule]]\ntools = ['click']\n")
    result = deskpilot("run", "t", "--model", model, "--policy", str(policy))
    assert result.returncode == 2 and "line 1: rule[1].decision: Field required" in result.stderr


def test_the_demo_command(tmp_path: Path) -> None:
    result = deskpilot("demo", "--virtual", "--run-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert "demo succeeded" in result.stderr
