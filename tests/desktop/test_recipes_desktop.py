"""Recipes against real applications on Xvfb: l3afpad saves a note, xterm runs a command, the demo
form is filled by a Python recipe. Results are read from the applications' own output."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.conftest import deskpilot, wait_until

EXAMPLES = Path(__file__).parents[2] / "examples" / "recipes"


@pytest.mark.skipif(shutil.which("l3afpad") is None, reason="l3afpad is installed by make deps")
def test_l3afpad_note_recipe_saves_the_file(launch: Callable[..., Any], tmp_path: Path) -> None:
    launch("l3afpad")
    note = tmp_path / "note.txt"
    result = deskpilot(
        "recipe",
        "run",
        str(EXAMPLES / "l3afpad_note.toml"),
        "--param",
        f"path={note}",
        "--param",
        "text=written by a recipe",
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    assert note.read_text().startswith("written by a recipe")


def test_xterm_recipe_runs_a_command(launch: Callable[..., Any], tmp_path: Path) -> None:
    launch("xterm", "-xrm", "XTerm*allowSendEvents:true", "-geometry", "80x20+50+50")
    out = tmp_path / "hello.txt"
    result = deskpilot(
        "recipe",
        "run",
        str(EXAMPLES / "xterm_command.toml"),
        "--param",
        f"out={out}",
        "--run-dir",
        str(tmp_path / "run"),
        "--driver",
        "pynput",
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().strip() == "hello-deskpilot"


def test_python_recipe_fills_the_demo_form(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    state = demo_app.path  # type: ignore[attr-defined]
    result = deskpilot(
        "recipe",
        "run",
        str(EXAMPLES / "demo_form.py"),
        "--param",
        f"state={state}",
        "--param",
        "name=Grace Hopper",
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    wait_until(lambda: demo_app()["saved"] == "Grace Hopper", message="the form saved the name")
    assert (tmp_path / "run" / "report.html").is_file()


def test_a_recipe_step_the_policy_denies_never_runs(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    x, y, w, h = demo_app()["widgets"]["save"]
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        f"[[step]]\ntool = 'shell'\nargs = {{ command = 'ls' }}\n"
        f"[[step]]\ntool = 'click'\nargs = {{ x = {x + w // 2}, y = {y + h // 2} }}\n"
    )
    result = deskpilot("recipe", "run", str(recipe), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 3, result.stderr
    assert "shell is disabled" in result.stderr
    assert demo_app()["saved"] is None  # the click after the denial never happened


def test_recipe_check_names_the_line(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text("[[step]]\ntool = 'click'\nargs = { x = 1, why = 2 }\n")
    result = deskpilot("recipe", "check", str(recipe))
    assert result.returncode == 2
    assert "line 3: step[1].args" in result.stderr and "'why'" in result.stderr
    assert sys.executable  # the CLI ran in this interpreter's environment


def test_a_recipe_finds_its_button_by_the_screens_text(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    result = deskpilot(
        "recipe",
        "run",
        str(EXAMPLES / "demo_save_by_text.toml"),
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    assert demo_app()["saved"] == ""  # Save was clicked with the field empty
