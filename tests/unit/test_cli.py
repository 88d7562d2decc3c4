"""The CLI through Typer's CliRunner: exit codes and messages (no display needed here)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from deskpilot import __version__
from deskpilot.cli import app
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import AgentFactory, call

runner = CliRunner()


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.jsonl"
    path.write_text(call("click", x=1, y=1) + "\n" + call("done") + "\n")
    return path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_tools_list_names_every_tool() -> None:
    result = runner.invoke(app, ["tools", "list"])
    assert result.exit_code == 0
    for name in ToolRegistry().names():
        assert name in result.output


def test_tools_schema_prints_the_tool_call_schema_as_json() -> None:
    result = runner.invoke(app, ["tools", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == ToolRegistry().call_schema()
    jsonschema.validate({"name": "done", "arguments": {}}, schema)


def test_tools_schema_of_one_tool_and_of_an_unknown_one() -> None:
    result = runner.invoke(app, ["tools", "schema", "drag"])
    assert result.exit_code == 0
    assert set(json.loads(result.stdout)["required"]) == {"start_x", "start_y", "end_x", "end_y"}
    result = runner.invoke(app, ["tools", "schema", "teleport"])
    assert result.exit_code == 2 and "unknown tool 'teleport'" in result.output


def test_run_without_a_display_is_a_clear_usage_error(
    plan: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    result = runner.invoke(
        app, ["run", "t", "--model", f"script:{plan}", "--run-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "DISPLAY is not set" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "/nonexistent/p.toml"], "cannot read policy file"),
        (["--driver", "xdotool"], "unknown driver 'xdotool'"),
        (["--max-steps", "0"], "--max-steps must be at least 1"),
    ],
)
def test_run_usage_errors(plan: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["run", "t", "--model", f"script:{plan}", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_run_with_an_invalid_policy_names_the_problem(plan: Path, tmp_path: Path) -> None:
    policy = tmp_path / "bad.toml"
    policy.write_text('[[rule]]\ntools = ["click"]\ndecision = "sometimes"\nreason = "r"\n')
    result = runner.invoke(app, ["run", "t", "--model", f"script:{plan}", "--policy", str(policy)])
    assert result.exit_code == 2
    assert "line 3: rule[1].decision" in result.output and "bad.toml" in result.output


def test_run_with_a_missing_plan_or_model(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "t", "--model", f"script:{tmp_path}/nope.jsonl"])
    assert result.exit_code == 2 and "cannot read plan" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("# nothing\n\n")
    result = runner.invoke(app, ["run", "t", "--model", f"script:{empty}"])
    assert result.exit_code == 2 and "has no tool calls" in result.output
    result = runner.invoke(app, ["run", "t", "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_report_writes_html_for_a_run(make_agent: AgentFactory, tmp_path: Path) -> None:
    agent, _ = make_agent([call("click", x=30, y=40), call("done")])
    agent.run("click it")
    result = runner.invoke(app, ["report", str(tmp_path / "run")])
    assert result.exit_code == 0
    assert (tmp_path / "run" / "report.html").is_file()


def test_report_of_a_directory_without_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output


def test_policy_check_and_explain(tmp_path: Path) -> None:
    assert runner.invoke(app, ["policy", "check", "strict"]).exit_code == 0
    result = runner.invoke(app, ["policy", "explain", "default", call("shell", command="ls")])
    assert result.exit_code == 0 and result.output.startswith("DENY shell")
    result = runner.invoke(app, ["policy", "explain", "default", "{"])
    assert result.exit_code == 2 and "invalid tool call" in result.output
    bad = tmp_path / "p.toml"
    bad.write_text("default = [")
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 2 and "invalid TOML" in result.output
