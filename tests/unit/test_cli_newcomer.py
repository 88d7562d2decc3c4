"""What a newcomer hits first at the command line: messages that say what to do, help that reads
cleanly, output that pipes whole, and `deskpilot doctor` (no display needed here)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from deskpilot.agent.records import Outcome, RunResult
from deskpilot.cli import app
from deskpilot.cli.common import CliConsole, plural, summary
from deskpilot.cli.helptext import reflow

runner = CliRunner()
REPO = Path(__file__).parents[2]
TINY = REPO / "tests" / "models" / "gemma3-tiny"


def test_demo_without_a_display_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    result = runner.invoke(app, ["demo", "--no-virtual", "--scripted"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "no display: DISPLAY is not set" in said
    assert "Set DISPLAY to a running X display" in said and "drop --no-virtual" in said
    assert "Tk" not in said


def test_demo_with_a_display_nobody_serves_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":987")
    result = runner.invoke(app, ["demo", "--no-virtual", "--scripted"])
    assert result.exit_code == 2
    assert "no display: cannot open the display ':987'" in " ".join(result.output.split())


@pytest.mark.parametrize("command", [["policy", "check"], ["policy", "explain"]])
def test_a_misspelt_preset_lists_the_presets(command: list[str]) -> None:
    extra = ['{"name": "done", "arguments": {}}'] if command[-1] == "explain" else []
    result = runner.invoke(app, [*command, "defualt", *extra])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "no policy preset or file named 'defualt' (did you mean 'default'?)" in said
    assert "the presets are default, strict, trusted" in said


def test_run_with_a_misspelt_preset_lists_the_presets(tmp_path: Path) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text('{"name": "done", "arguments": {}}\n')
    result = runner.invoke(app, ["run", "t", "--model", f"script:{plan}", "--policy", "stict"])
    assert result.exit_code == 2
    assert "(did you mean 'strict'?)" in " ".join(result.output.split())


def test_model_info_without_a_path_describes_the_embedded_model() -> None:
    result = runner.invoke(app, ["model", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["path"].replace("\\", "/").endswith("models/default")
    assert info["type"] == "gemma4_unified" and info["screen_text"] is True


def test_model_info_without_a_path_or_an_embedded_model_asks_for_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from deskpilot.runtime import loader

    monkeypatch.setattr(loader, "DEFAULT_MODEL", ("models", "absent"))
    result = runner.invoke(app, ["model", "info"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "has no embedded default model" in said and "deskpilot model info PATH" in said
    assert "--model" not in said  # model info takes a PATH argument, not an option


def _commands(command: typer.core.TyperGroup, path: list[str]) -> list[list[str]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, [*path, name])
    return found


def test_every_help_reads_cleanly() -> None:
    root = typer.main.get_command(app)
    paths = _commands(root, [])  # type: ignore[arg-type]
    assert ["doctor"] in paths and ["model", "eval"] in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], terminal_width=120)
        assert result.exit_code == 0, path
        shown = result.output
        assert not re.search(r"<(bool|str|int|path|list\[\w+\]|int range)>", shown), (path, shown)
        assert not re.search(r"\{[a-z_]+\}", shown), (path, shown)
    run_help = runner.invoke(app, ["run", "--help"], terminal_width=120).output
    assert "Usage: deskpilot run [OPTIONS] [TASK]" in run_help  # optional: --audio TASK.wav
    assert re.search(r"--audio\s+TASK.wav", run_help)
    assert re.search(r"--run-dir\s+PATH", run_help) and re.search(r"--dry-run\s+Execute", run_help)
    # a docstring's line breaks are not the terminal's: "the" / "microphone" was broken where
    # the source line ended, whatever the width (and each command's help below has none)
    assert re.search(r"the\s+microphone\), or both", run_help)
    assert not re.search(r"the *\n *microphone", run_help)
    for path in paths:
        command = root
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        for paragraph in (command.help or "").split("\n\n"):
            assert re.fullmatch(r"[^\n]*(\n\s*(-|\*|\d+\.) [^\n]*)*", paragraph), (path, paragraph)


def test_reflow_joins_lines_and_keeps_lists() -> None:
    text = """First line
    goes on.

    Second paragraph,
    also one line.

    Steps:
    - one
    - two
    """
    assert reflow(text) == (
        "First line goes on.\n\nSecond paragraph, also one line.\n\nSteps:\n- one\n- two"
    )
    assert reflow("\b\nkept\nas is") == "\b\nkept\nas is"


def test_counts_are_singular_or_plural(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (plural(1, "step"), plural(2, "step"), plural(0, "step")) == (
        "1 step",
        "2 steps",
        "0 steps",
    )
    summary(RunResult(outcome=Outcome.DONE, reason="ok", steps=1), tmp_path)
    assert "done after 1 step: ok" in capsys.readouterr().err
    recipe = tmp_path / "one.toml"
    recipe.write_text("[[step]]\ntool = 'done'\n")
    result = runner.invoke(app, ["recipe", "check", str(recipe)])
    assert result.exit_code == 0 and "(1 step; params: none)" in result.output


def test_piped_output_is_not_wrapped_or_truncated() -> None:
    sink = io.StringIO()
    console = CliConsole(file=sink)
    sentence = " ".join(f"word{i}" for i in range(80))  # ~560 characters
    console.print(sentence)
    assert sink.getvalue() == sentence + "\n"
    result = runner.invoke(app, ["tools", "list"])  # CliRunner's stdout is not a terminal
    assert result.exit_code == 0 and "…" not in result.output
    longest = max(len(line) for line in result.output.splitlines())
    assert longest > 120  # one row per tool, its whole description on the row


def test_a_terminal_console_still_wraps_to_its_width() -> None:
    console = CliConsole(file=io.StringIO(), force_terminal=True, width=40)
    assert console.width == 40


def test_doctor_without_a_display_fails_the_display_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    display = checks["display"]
    assert display["status"] == "fail" and display["required"]
    assert display["found"] == "DISPLAY is not set" and "set DISPLAY" in display["fix"]
    table = runner.invoke(app, ["doctor"])
    assert table.exit_code == 1 and "a required check failed" in table.output


def test_doctor_says_a_test_folder_has_random_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    result = runner.invoke(app, ["doctor", "--json", "--model", str(TINY)])
    model = {c["name"]: c for c in json.loads(result.stdout)["checks"]}["model"]
    assert model["status"] == "warn" and "its weights are random" in model["found"]
    missing = runner.invoke(app, ["doctor", "--json", "--model", str(REPO / "nope")])
    model = {c["name"]: c for c in json.loads(missing.stdout)["checks"]}["model"]
    assert model["status"] == "fail" and "does not exist" in model["found"]


def test_a_one_step_run_says_one_step(tmp_path: Path) -> None:
    from deskpilot.cli.common import err, summary

    with err.capture() as captured:
        summary(RunResult(outcome=Outcome.DONE, steps=1, reason="ok"), tmp_path)
    assert "after 1 step:" in captured.get() and "1 steps" not in captured.get()
