"""The library example runs as documented and does what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "library_demo.py"


def test_the_library_example() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "done: saved; the form saved 'Alan Turing'" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr  # no X connection outlives Xvfb


def test_the_example_plugin_through_a_cli_run(display: object, tmp_path: Path) -> None:
    """examples/notes-plugin (installed by `make install`): its tool, its preset and its veto."""
    import json
    import os

    from tests.integration.conftest import cli

    plan = tmp_path / "plan.jsonl"
    plan.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {"name": "write_note", "arguments": {"text": "from a plugin"}},
                {"name": "type_text", "arguments": {"text": "TOP SECRET"}},
            ]
        )
        + "\n"
    )
    env = {**os.environ, "DESKPILOT_PLUGINS": "notes", "DESKPILOT_NOTES_DIR": str(tmp_path / "n")}
    listed = cli("plugins", "list", env=env)
    assert "notes" in listed.stdout and "write_note" in listed.stdout
    result = cli(
        "run",
        "take a note",
        "--model",
        f"script:{plan}",
        "--policy",
        "notes",
        "--run-dir",
        str(tmp_path / "run"),
        env=env,
    )
    assert result.returncode == 3, result.stderr  # the veto denies the second call
    assert "the notes plugin refuses TOP SECRET text" in result.stderr
    assert (tmp_path / "n" / "notes.txt").read_text() == "from a plugin\n"
