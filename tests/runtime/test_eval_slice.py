"""CI's slice of the grounding eval (issue 4): the curriculum's kept checkpoint, exported int4 and
run through the real genai runtime on the rung it stands on, must clear bars that an untrained
model misses. The bars sit under what the checkpoint scores (click inside 44.3%, action type
80.8%, false clicks 12.2% on these 120 tasks on an AVX2 CPU: 97 right types where 90 pass; 49.4 /
81.7 / 12.2% on an AVX512 one), so int4 rounding on another CPU does not flip them; an untrained
model scores 0% on action type and click inside."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from deskpilot.cli import app

ROOT = Path(__file__).parents[2]
MODELS = ROOT / "tests" / "models"
FIXTURE = MODELS / "deskpilot-curriculum-int4"
KEPT = ROOT / "training" / "checkpoints" / "curriculum.pt"
SLICE = ["--suite", "96-words", "--screens", "30"]
BARS = ["valid calls>=100", "action type>=75", "click inside>=30", "false clicks<=60"]


def eval_slice(folder: Path, json_out: Path) -> tuple[int, str, dict[str, str]]:
    args = ["model", "eval", str(folder), *SLICE, "--json", str(json_out)]
    for bar in BARS:
        args += ["--require", bar]
    result = CliRunner().invoke(app, args)
    (row,) = json.loads(json_out.read_text())
    return result.exit_code, result.output, row


def test_the_slice_model_is_the_kept_checkpoint_exported() -> None:
    recorded = json.loads((FIXTURE / "deskpilot.json").read_text())["checkpoint_sha256"]
    assert recorded == hashlib.sha256(KEPT.read_bytes()).hexdigest(), (
        "training/checkpoints/curriculum.pt changed: rebuild the slice model with "
        "`python -m training.build_default_model --fixture`"
    )


def test_the_kept_checkpoint_clears_the_slice(tmp_path: Path) -> None:
    code, output, row = eval_slice(FIXTURE, tmp_path / "rows.json")
    assert code == 0, output
    assert row["samples"] == "120" and row["suite"] == "96-words"
    assert "every row clears the 4 bar(s)" in output


def test_an_untrained_model_misses_the_slice(tmp_path: Path) -> None:
    code, output, row = eval_slice(MODELS / "gemma4_unified-tiny", tmp_path / "rows.json")
    assert code == 1
    assert "below the bar" in output and "click inside" in output
    assert float(row["click inside"].rstrip("%")) < 30


# The design the default model is built to: it reads the screen's text and its clicks are decoded
# as the places the task names. On real Tk dialogs with labels never seen in training, the kept
# checkpoint (never trained with the text) clears these bars and an untrained model does not.
DIALOGS = ["--suite", "dialogs", "--screens", "10", "--screen-text"]
DIALOG_BARS = ["action type>=65", "click inside>=50", "false clicks<=50"]


def eval_apart(
    model: str, options: list[str], bars: list[str], json_out: Path
) -> tuple[int, str, list[dict[str, str]]]:
    """The eval in a process of its own: the dialogs and windows are real Tk windows on a display
    the eval starts and stops, and Tk keeps its X connection for the life of the process."""
    args = ["model", "eval", model, *options, "--json", str(json_out)]
    for bar in bars:
        args += ["--require", bar]
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = subprocess.run(
        [sys.executable, "-m", "deskpilot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr, json.loads(json_out.read_text())


def eval_dialogs(folder: Path, json_out: Path, *extra: str) -> tuple[int, str, dict[str, str]]:
    code, output, (row,) = eval_apart(str(folder), [*DIALOGS, *extra], DIALOG_BARS, json_out)
    return code, output, row


def test_the_kept_checkpoint_reading_the_screen_clears_the_dialogs_slice(tmp_path: Path) -> None:
    code, output, row = eval_dialogs(FIXTURE, tmp_path / "rows.json")
    assert code == 0, output
    assert row["samples"] == "40" and row["suite"] == "dialogs"
    free = eval_dialogs(FIXTURE, tmp_path / "free.json", "--no-text-targets")[2]
    # the same model pointing on its own: text targets are what lifts the clicks
    assert float(free["click inside"].rstrip("%")) < float(row["click inside"].rstrip("%")) - 20


def test_an_untrained_model_misses_the_dialogs_slice(tmp_path: Path) -> None:
    code, output, row = eval_dialogs(MODELS / "gemma4_unified-tiny", tmp_path / "rows.json")
    assert code == 1 and "below the bar" in output
    assert float(row["action type"].rstrip("%")) < 65


# The shipped default model on real Tk dialogs and real Tk windows (labels never in training): bars
# it clears (93 / 97% click inside on these 80 tasks when shipped) that the text-match baseline
# (53% on the dialogs: it clicks a label, not the field the label names) and an untrained model miss.
SHIPPED = ROOT / "deskpilot" / "models" / "default"
REAL = ["--suite", "dialogs", "--suite", "tk", "--screens", "10"]
REAL_BARS = ["click inside>=80", "action type>=90", "false clicks<=10", "typed exactly>=90"]


def test_the_shipped_model_clears_the_real_window_slice(tmp_path: Path) -> None:
    code, output, rows = eval_apart(str(SHIPPED), REAL, REAL_BARS, tmp_path / "rows.json")
    assert code == 0, output
    assert [(row["suite"], row["samples"]) for row in rows] == [("dialogs", "40"), ("tk", "40")]


def test_the_baseline_misses_the_real_window_slice(tmp_path: Path) -> None:
    code, output, rows = eval_apart("text-match", REAL, REAL_BARS, tmp_path / "rows.json")
    assert code == 1 and "below the bar" in output
    (dialogs,) = [row for row in rows if row["suite"] == "dialogs"]
    assert float(dialogs["click inside"].rstrip("%")) < 80
