"""Several models in one `deskpilot model eval`: each runs in a process of its own, so each row's
peak RSS is that model's alone (one process's peak only grows), and a child's failure comes back
as a clear error rather than a hang."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.data.evaluate_apart import suite_results_apart
from deskpilot.errors import UsageError

MODELS = Path(__file__).parents[1] / "models"
TRAINED, TINY = (
    MODELS.parent.parent / "deskpilot" / "models" / "default",
    MODELS / "gemma4_unified-tiny",
)


def test_the_second_model_does_not_carry_the_first_ones_memory(tmp_path: Path) -> None:
    rows_file, report = tmp_path / "rows.json", tmp_path / "eval.html"
    result = CliRunner().invoke(
        app,
        [
            "model",
            "eval",
            str(TRAINED),
            str(TINY),
            "--suite",
            "96-words",
            "--screens",
            "2",
            "--json",
            str(rows_file),
            "--report",
            str(report),
            "--pictures",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    # the screens come back from both children: three per model, each with its verdict
    assert report.read_text().count('<div class="card">') == 6
    trained, tiny = json.loads(rows_file.read_text())
    assert trained["model"].startswith(TRAINED.name) and tiny["model"].startswith(TINY.name)
    assert trained["samples"] == tiny["samples"] == "8"
    # in one process the tiny model's row read the trained one's peak plus its own (~+30 MB)
    assert float(tiny["peak RSS MB"]) < float(trained["peak RSS MB"]) + 15


def test_a_child_that_cannot_load_its_model_says_why(tmp_path: Path) -> None:
    ticks: list[str] = []
    with pytest.raises(UsageError, match="no-such-model"):
        suite_results_apart(str(tmp_path / "no-such-model"), ["edge"], 1, ticks.append)
    assert ticks == []


def test_a_child_reports_every_sample_it_scores() -> None:
    ticks: list[str] = []
    (result,) = suite_results_apart(str(TINY), ["edge"], 1, ticks.append)
    assert result.name == "edge" and result.total == 4
    assert ticks == ["edge"] * 4
