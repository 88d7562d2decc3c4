"""CI's slice of the grounding eval: the shipped default model (the kept checkpoint exported:
tests/training/test_shipped_is_kept.py), run through the real genai runtime, must clear bars that
the text-match baseline and an untrained model miss."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from deskpilot.cli import app

ROOT = Path(__file__).parents[2]
MODELS = ROOT / "tests" / "models"
SHIPPED = ROOT / "deskpilot" / "models" / "default"
UNTRAINED = MODELS / "gemma4_unified-tiny"

# The curriculum's "96-words" rung (three widgets named from 96 words, no OCR errors): the shipped
# model scored valid calls 100%, action type 96.7%, click inside 92.4%, false clicks 0% on these
# 120 tasks; the bars sit below that, so int4 rounding on another CPU does not flip them; an
# untrained model scores 0% on action type and click inside.
SLICE = ["--suite", "96-words", "--screens", "30"]
BARS = ["valid calls>=100", "action type>=85", "click inside>=75", "false clicks<=20"]


def eval_slice(folder: Path, json_out: Path) -> tuple[int, str, dict[str, str]]:
    args = ["model", "eval", str(folder), *SLICE, "--json", str(json_out)]
    for bar in BARS:
        args += ["--require", bar]
    result = CliRunner().invoke(app, args)
    (row,) = json.loads(json_out.read_text())
    return result.exit_code, result.output, row


def test_the_shipped_model_clears_the_slice(tmp_path: Path) -> None:
    code, output, row = eval_slice(SHIPPED, tmp_path / "rows.json")
    assert code == 0, output
    assert row["samples"] == "120" and row["suite"] == "96-words"
    assert "every row clears the 4 bar(s)" in output


def test_an_untrained_model_misses_the_slice(tmp_path: Path) -> None:
    code, output, row = eval_slice(UNTRAINED, tmp_path / "rows.json")
    assert code == 1
    assert "below the bar" in output and "click inside" in output
    assert float(row["click inside"].rstrip("%")) < 30


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


# The shipped default model on real Tk dialogs and real Tk windows (labels never in training): bars
# it clears (93 / 97% click inside on these 80 tasks when shipped) that the text-match baseline
# (53% on the dialogs: it clicks a label, not the field the label names) and an untrained model miss.
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


def test_without_the_named_places_the_same_model_misses_the_dialogs(tmp_path: Path) -> None:
    """The design: the model reads the screen's text and clicks one of the places the task names.
    The same weights pointing on their own (33% click inside, 100% false clicks on these tasks when
    measured) miss the bars the named places clear."""
    options = ["--suite", "dialogs", "--screens", "10", "--no-text-targets"]
    code, output, (row,) = eval_apart(str(SHIPPED), options, REAL_BARS, tmp_path / "rows.json")
    assert code == 1 and "below the bar" in output
    assert float(row["click inside"].rstrip("%")) < 60


def test_an_untrained_model_misses_the_dialogs(tmp_path: Path) -> None:
    options = ["--suite", "dialogs", "--screens", "10", "--screen-text"]
    code, output, (row,) = eval_apart(str(UNTRAINED), options, REAL_BARS, tmp_path / "rows.json")
    assert code == 1 and "below the bar" in output
    assert float(row["click inside"].rstrip("%")) < 80
