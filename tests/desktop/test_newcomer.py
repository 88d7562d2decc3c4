"""What a newcomer hits, on real displays: `deskpilot doctor`, a wait for a window title with no
window manager, the demo's message when nothing was saved, the exit code of a malformed plan
line, and `make bench`'s step benchmark."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest
from rich.table import Table
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.desktop import active_window_hint
from deskpilot.recipes.context import StepFailed
from deskpilot.xvfb import VirtualDisplay
from tests.desktop.conftest import deskpilot
from tests.unit.test_recipes import context

REPO = Path(__file__).parents[2]
runner = CliRunner()


def test_doctor_on_a_virtual_display_passes_every_required_check(display: VirtualDisplay) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] and all(c["status"] == "ok" for c in checks.values() if c["required"])
    assert checks["display"]["found"] == f"{display.display} answers"
    assert checks["window manager"]["status"] == "ok"  # the test display runs jwm
    assert "XTEST on the display" in checks["input drivers"]["found"]
    table = runner.invoke(app, ["doctor"])
    assert table.exit_code == 0 and "ready" in table.output


def test_a_window_title_wait_without_a_window_manager_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with VirtualDisplay(640, 480, window_manager=False) as bare:
        monkeypatch.setenv("DISPLAY", bare.display)
        ctx, _ = context(tmp_path)
        with pytest.raises(StepFailed) as failed:
            ctx.wait_for(window_title="Save", timeout=0.2)
        message = str(failed.value)
        assert "timed out after 0.2 s" in message
        assert "no window manager: _NET_SUPPORTING_WM_CHECK and _NET_ACTIVE_WINDOW" in message
        runner_result = runner.invoke(app, ["doctor", "--json"])
        checks = {c["name"]: c for c in json.loads(runner_result.stdout)["checks"]}
        assert checks["window manager"]["status"] == "warn"
        assert runner_result.exit_code == 0  # a warning, not a required check


def test_with_a_window_manager_the_timeout_names_the_active_window(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    assert active_window_hint() == ""
    ctx, _ = context(tmp_path)
    with pytest.raises(StepFailed) as failed:
        ctx.wait_for(window_title="^No such window$", timeout=0.2)
    assert "the active window is" in str(failed.value)
    assert "None" not in str(failed.value) and "no window manager" not in str(failed.value)


def test_a_demo_that_saved_nothing_says_so(tmp_path: Path) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text('{"name": "done", "arguments": {"answer": "nothing to do"}}\n')
    result = deskpilot(
        "demo", "--virtual", "--model", f"script:{plan}", "--run-dir", str(tmp_path / "demo")
    )
    assert result.returncode == 1, result.stderr
    assert "the window saved nothing; report:" in result.stderr
    assert "None" not in result.stderr


def test_a_malformed_plan_line_is_an_invalid_output_as_the_readme_says(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text('{"name": "click", "arguments": {"x": 1\n' * 4)
    result = deskpilot(
        "run", "t", "--model", f"script:{plan}", "--dry-run", "--run-dir", str(tmp_path / "run")
    )
    assert result.returncode == 1, result.stderr
    assert "4 invalid tool calls in a row" in result.stderr
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| (\d) \| (.+) \|$", readme, flags=re.MULTILINE)  # other tables too
    said = {code: [text for c, text in rows if c == code] for code in ("1", "2")}
    assert any("a malformed plan line counts as one" in text for text in said["1"])
    assert any("unreadable or empty plan" in text for text in said["2"])
    assert not any("invalid policy or plan" in text for text in said["2"])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("# nothing\n")
    assert deskpilot("run", "t", "--model", f"script:{empty}").returncode == 2


def test_the_toolkit_step_benchmark_runs(display: VirtualDisplay) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_toolkit", REPO / "benchmarks" / "bench_toolkit.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_toolkit"] = bench
    try:
        spec.loader.exec_module(bench)
        table = Table("benchmark", "p50 ms", "p95 ms", "note")
        bench.bench_steps(table, settle=0.0, count=6)
    finally:
        sys.modules.pop("bench_toolkit", None)
    note = table.columns[3]._cells[0]
    assert "capture" in note and "act" in note, note
    assert os.environ["DISPLAY"] == display.display
