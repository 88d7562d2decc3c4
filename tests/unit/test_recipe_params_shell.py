"""Recipe parameters in a shell command: each one becomes exactly one argument, whatever it holds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from deskpilot.agent import Outcome
from deskpilot.errors import UsageError
from deskpilot.policies.shell import ShellSettings, parse_command
from deskpilot.recipes import load_recipe
from deskpilot.recipes.runner import run_recipe
from deskpilot.recipes.schema import resolve_params, substitute
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry

SETTINGS = ShellSettings()
TRICKS = [
    "x /etc/passwd",
    "it's \"quoted\" and 'single'",
    "' /etc/passwd '",
    '" /etc/passwd "',
    "x' '/etc/passwd",
    "\\' /etc/passwd",
    "-r",
    "",
    "{other}",
]


def argv(template: str, value: str) -> list[str]:
    args = substitute({"command": template}, {"p": value, "other": "o"}, tool="shell")
    return parse_command(args["command"], SETTINGS)


@pytest.mark.parametrize("value", TRICKS)
@pytest.mark.parametrize(
    "template", ["grep {p} notes.txt", "grep '{p}' notes.txt", 'grep "{p}" notes.txt']
)
def test_a_parameter_is_one_argument_however_the_template_quotes_it(
    template: str, value: str
) -> None:
    assert argv(template, value) == ["grep", value, "notes.txt"]


def test_a_parameter_inside_a_word_stays_inside_that_word() -> None:
    assert argv("grep -e x{p}y notes.txt", "a b' c") == ["grep", "-e", "xa b' cy", "notes.txt"]


def test_a_lone_placeholder_is_one_word_too() -> None:
    with pytest.raises(ValueError, match="program 'ls -la' is not allowlisted"):
        argv("{p}", "ls -la")


@pytest.mark.parametrize("value", ["$HOME", "`id`", "x; id", "a|b", "a > b", "a && b"])
def test_a_value_a_command_may_not_hold_fails_clearly(value: str) -> None:
    with pytest.raises(UsageError, match=r"parameter 'p'.*may not be in a shell command"):
        argv("grep {p} notes.txt", value)


def test_other_tools_and_arguments_are_filled_as_before() -> None:
    assert substitute({"text": "a {p}"}, {"p": "b c"}, tool="type_text") == {"text": "a b c"}
    assert substitute({"cwd": "{p}"}, {"p": "b c"}, tool="shell") == {"cwd": "b c"}


class Calls:
    """A recipe context that records the calls it is asked to make."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.steps = 0
        self.actuator = SimpleNamespace(stop=StopFlag())

    def call(self, tool: str, **args: Any) -> None:
        self.calls.append((tool, args))


def test_a_recipe_whose_parameter_has_spaces_and_quotes_passes_one_argument(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        '[params]\npattern = { default = "x" }\n'
        '[[step]]\ntool = "shell"\nargs = { command = "grep -n {pattern} notes.txt" }\n'
    )
    recipe = load_recipe(path, ToolRegistry())
    params = resolve_params(recipe, {"pattern": "it's x' /etc/passwd '"})
    ctx = Calls()
    assert run_recipe(recipe, params, ctx).outcome is Outcome.DONE  # type: ignore[arg-type]
    ((tool, args),) = ctx.calls
    assert tool == "shell"
    assert parse_command(args["command"], SETTINGS) == [
        "grep",
        "-n",
        "it's x' /etc/passwd '",
        "notes.txt",
    ]
