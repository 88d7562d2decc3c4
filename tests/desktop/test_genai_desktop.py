"""`deskpilot run --model FOLDER` end to end on Xvfb: a real onnxruntime-genai model (tiny, random
weights) sees the real screenshot as image tokens, answers with a schema-constrained tool call, the
real policy decides and the real driver acts. Every press it makes must reach the app."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.conftest import deskpilot, wait_until

MODELS = Path(__file__).parents[1] / "models"

BOARD = """
import json, os, sys, tkinter as tk
path = sys.argv[1]
root = tk.Tk()
root.title("press board")
root.overrideredirect(True)  # no title bar: a window manager's menus would take the presses
root.geometry("1280x760+0+0")
presses = []
def write():
    root.update_idletasks()
    state = {"presses": presses, "rect": [root.winfo_rootx(), root.winfo_rooty(),
             root.winfo_width(), root.winfo_height()]}
    open(path + ".tmp", "w").write(json.dumps(state)); os.replace(path + ".tmp", path)
canvas = tk.Canvas(root, bg="#f4f4f4", highlightthickness=0)
canvas.pack(fill="both", expand=True)
canvas.create_text(640, 380, text="Save", font=("DejaVu Sans", 24))
def press(event):
    presses.append([event.x_root, event.y_root, event.num]); write()
canvas.bind("<ButtonPress>", press)
root.after(300, write)
root.mainloop()
"""

# Only pointer tools are enabled, so the schema leaves the model no other choice than to press
# somewhere; the step budget ends the run.
POLICY = """
[budget]
max_steps = 3
[[rule]]
tools = ["click", "double_click", "right_click"]
decision = "allow"
reason = "pointer actions on the board"
"""


PRESSES_PER_TOOL = {"click": 1, "double_click": 2, "right_click": 1}


def presses_on_board(steps: list[dict[str, Any]], state: Path) -> int:
    """How many presses the board should have seen: each executed pointing call whose target
    lies inside the board's rect (a double click is two)."""
    x0, y0, width, height = json.loads(state.read_text())["rect"]
    return sum(
        PRESSES_PER_TOOL[s["call"]["name"]]
        for s in steps
        if s["call"]["name"] in PRESSES_PER_TOOL
        and s["result"]
        and not s["result"]["error"]
        and x0 <= s["result"]["targets"][0][0] < x0 + width
        and y0 <= s["result"]["targets"][0][1] < y0 + height
    )


def run_on_board(
    launch: Callable[..., Any], tmp_path: Path, policy: str, *options: str, **how: Any
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Open the press board, then ``deskpilot run "click Save"`` with ``options`` under the
    policy text ``policy``: the finished run, its run directory and the board's state file."""
    state = tmp_path / "board.json"
    launch(sys.executable, "-c", BOARD, str(state))
    wait_until(lambda: state.exists(), message="the press board")
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(policy)
    run_dir = tmp_path / "run"
    arguments = ("--policy", str(policy_file), "--run-dir", str(run_dir))
    return deskpilot("run", "click Save", *options, *arguments, **how), run_dir, state


@pytest.mark.parametrize("family", ["gemma4_unified", "gemma3"])
def test_a_genai_model_drives_a_real_window(
    launch: Callable[..., Any],
    tmp_path: Path,
    family: str,
    action_format: str = "deskpilot",
    folder: Path | None = None,
) -> None:
    result, run_dir, state = run_on_board(
        launch,
        tmp_path,
        POLICY,
        "--model",
        str(folder or MODELS / f"{family}-tiny"),
        *(("--action-format", action_format) if action_format else ()),
    )
    assert result.returncode == 4 and "step budget of 3 is used up" in result.stderr, result.stderr
    records = [json.loads(line) for line in (run_dir / "steps.jsonl").open()]
    steps = [r for r in records if r["type"] == "step"]
    assert steps and records[-1]["type"] == "end"
    for step in steps:
        assert step["call"] is not None, step["raw_output"]  # constrained decoding: always valid
        if action_format != "deskpilot":  # the model's own words, read by the format's adapter
            # ("": the folder's own format, which for the fara type is fara's)
            assert not step["raw_output"].startswith('{"name"'), step["raw_output"]
        assert step["model_stats"]["guided"] == 1.0
        assert step["model_stats"]["prefill_ms"] > 0 and step["model_stats"]["preprocess_ms"] > 0
    expected = presses_on_board(steps, state)
    print(
        f"{len(steps)} steps: {[s['call']['name'] for s in steps]}; presses on the board: {expected}"
    )
    board = lambda: json.loads(state.read_text())["presses"]  # noqa: E731
    assert expected >= 1  # 1280x760 of the 1280x800 screen is board: a press lands on it
    if expected:
        wait_until(
            lambda: len(board()) >= expected, timeout=5, message="the presses reach the board"
        )
    assert len(board()) == expected
    report = (run_dir / "report.html").read_text()
    assert "prefill_ms" in report
