"""The recipe file (TOML): parameters and steps, validated with errors that name the line.

name = "save a note"
[params]
text = { default = "hello", description = "what to write" }
path = { description = "required: no default" }

[[step]]                       # a literal tool call (coordinates in screen pixels)
tool = "type_text"
args = { text = "{text}" }     # "{param}" is replaced; alone, it keeps the parameter's type
[[step]]
agent = "save the file as {path}"   # a sub-task for the model, with its own budget
max_steps = 8
[[step]]
click = { text = "Save" }      # where the screen says it (also double_click, right_click)
[[step]]
wait_for = { file = "{path}", timeout = 10 }   # or { text = "Saved" } on the screen
[[step]]
assert = { file_contains = ["{path}", "{text}"] }   # or { screen_text = "Saved" }
retries = 1
on_failure = "stop"            # or "continue"
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deskpilot.errors import ToolCallError, UsageError
from deskpilot.policies.shell import SHELL_SYNTAX
from deskpilot.tomlfile import load_toml_model, problem
from deskpilot.tools.registry import ToolRegistry

Scalar = str | int | float | bool
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Param(BaseModel):
    """A recipe parameter. Without a default it must be given (``--param name=value``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Scalar | None = None
    description: str = ""


WAIT_CONDITIONS = ("window_title", "file", "screen", "text")
CHECKS = ("window_title", "file_exists", "file_contains", "screen_text")
TEXT_CLICKS = ("click", "double_click", "right_click")


class TextTarget(BaseModel):
    """A pointer step's target: where the screen says ``text`` (exactly one place)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)


class WaitFor(BaseModel):
    """Wait until a window title appears, a file exists, the screen settles / changes, or the
    screen says a text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_title: str | None = Field(None, description="regex on the active window's title")
    file: str | None = None
    screen: Literal["settle", "change"] | None = None
    text: str | None = Field(None, min_length=1, description="text the screen must say")
    timeout: float = Field(10, gt=0, le=600)

    @model_validator(mode="after")
    def _one_condition(self) -> WaitFor:
        given = [f for f in WAIT_CONDITIONS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(WAIT_CONDITIONS)}")
        return self


class Assertion(BaseModel):
    """A check on the world after the steps before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_title: str | None = Field(None, description="regex on the active window's title")
    file_exists: str | None = None
    file_contains: tuple[str, str] | None = Field(None, description="[path, text]")
    screen_text: str | None = Field(None, min_length=1, description="text the screen says")

    @model_validator(mode="after")
    def _one_check(self) -> Assertion:
        given = [f for f in CHECKS if getattr(self, f)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(CHECKS)}")
        return self


class Step(BaseModel):
    """One step: exactly one of ``tool``, ``click`` / ``double_click`` / ``right_click`` (on a
    text), ``agent``, ``wait_for``, ``assert``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = ""
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    click: TextTarget | None = None
    double_click: TextTarget | None = None
    right_click: TextTarget | None = None
    agent: str | None = None
    max_steps: int = Field(10, ge=1, le=200)
    wait_for: WaitFor | None = None
    assert_: Assertion | None = Field(None, alias="assert")
    retries: int = Field(0, ge=0, le=10)
    description: str = Field("", description="what the step acts on, for re-grounding")
    expect_crop: str | None = Field(
        None, description="recorded image around the target (replay checks it first)"
    )
    target_text: str | None = Field(
        None, description="the text at the target when recorded (replay looks for it first)"
    )
    on_failure: Literal["stop", "continue"] = "stop"

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in STEP_KINDS if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                "a step needs exactly one of tool, click, double_click, right_click, agent, "
                "wait_for, assert"
            )
        if self.args and self.tool is None:
            raise ValueError("args belong to a tool step")
        return self

    @property
    def kind(self) -> str:
        """tool, click, double_click, right_click, agent, wait_for or assert."""
        kind = next(k for k in STEP_KINDS if getattr(self, k))
        return "assert" if kind == "assert_" else kind

    @property
    def text_target(self) -> tuple[str, str] | None:
        """(pointer tool, text) of a click on a text, else None."""
        for tool in TEXT_CLICKS:
            target = getattr(self, tool)
            if target is not None:
                return tool, target.text
        return None


STEP_KINDS = ("tool", *TEXT_CLICKS, "agent", "wait_for", "assert_")


class Recipe(BaseModel):
    """A whole recipe file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: str = ""
    model: str | None = Field(None, description="model for agent steps (--model overrides)")
    params: dict[str, Param] = Field(default_factory=dict)
    step: list[Step] = Field(min_length=1)


def substitute(value: Any, params: dict[str, Scalar], *, tool: str | None = None) -> Any:
    """Fill ``{name}`` placeholders; a string that is only ``{name}`` takes the parameter's type.

    In the ``command`` of a ``shell`` step (``tool="shell"``) every parameter stays inside the word
    of the command line it is written in, however the value is quoted (see `_shell_command`).

    Raises:
        UsageError: A value a shell command may not hold (``$``, backticks, ``;``, ``|`` ...), or
            a command template that cannot be split into words.
    """
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return params[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), value)
    if isinstance(value, dict):
        return {
            k: _shell_command(v, params)
            if tool == "shell" and k == "command" and isinstance(v, str)
            else substitute(v, params)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [substitute(v, params) for v in value]
    return value


def _shell_command(template: str, params: dict[str, Scalar]) -> str:
    """The command line with parameters filled in word by word: the template is split into words
    first (as `parse_command` splits it), each word is filled, and the words are quoted back
    together, so that a value with spaces or quotes can never add or split an argument."""
    for name in PLACEHOLDER.findall(template):
        text = str(params[name])
        if SHELL_SYNTAX.search(shlex.quote(text)):
            raise UsageError(
                f"parameter {name!r}: {text!r} has characters that may not be in a "
                "shell command ($, `, ;, &, |, <, >)"
            )
    if not PLACEHOLDER.search(template):
        return template
    try:
        words = shlex.split(template, comments=False, posix=True)
    except ValueError as exc:
        raise UsageError(f"cannot split the shell command {template!r}: {exc}") from None
    return shlex.join(PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), w) for w in words)


def placeholders(value: Any) -> set[str]:
    """Every parameter name a value refers to."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    if isinstance(value, BaseModel):
        return placeholders(value.model_dump())
    return set()


def load_recipe(path: Path, registry: ToolRegistry) -> Recipe:
    """Read and check a recipe: schema, known tools, known parameters, literal calls that validate.

    Raises:
        UsageError: Naming the line and the problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read recipe {path}: {exc}") from None
    recipe = load_toml_model(text, Recipe, f"recipe {path}")
    problems = []
    for index, step in enumerate(recipe.step):
        unknown = placeholders(step) - set(recipe.params)
        if unknown:
            problems.append(
                problem(text, ("step", index), f"unknown parameter(s) {sorted(unknown)}")
            )
            continue
        if step.tool is None:
            continue
        if step.tool not in registry:
            problems.append(problem(text, ("step", index, "tool"), f"unknown tool {step.tool!r}"))
            continue
        if placeholders(step.args):
            continue  # checked again when the parameters are known
        try:
            registry.validate({"name": step.tool, "arguments": step.args})
        except ToolCallError as exc:
            problems.append(problem(text, ("step", index, "args"), str(exc)))
    if problems:
        raise UsageError(f"recipe {path} is invalid:\n" + "\n".join(problems))
    return recipe


def resolve_params(recipe: Recipe, given: dict[str, str]) -> dict[str, Scalar]:
    """Parameter values: given ones (converted to the default's type) over defaults.

    Raises:
        UsageError: An unknown parameter, a missing one, or a value of the wrong type.
    """
    unknown = sorted(set(given) - set(recipe.params))
    if unknown:
        raise UsageError(f"unknown parameter(s) {unknown}; the recipe has {sorted(recipe.params)}")
    values: dict[str, Scalar] = {}
    for name, param in recipe.params.items():
        if name not in given:
            if param.default is None:
                raise UsageError(f"parameter {name!r} is required: --param {name}=VALUE")
            values[name] = param.default
            continue
        raw, kind = given[name], type(param.default) if param.default is not None else str
        try:
            values[name] = (raw.lower() in ("1", "true", "yes")) if kind is bool else kind(raw)
        except ValueError:
            raise UsageError(f"parameter {name!r}: {raw!r} is not a {kind.__name__}") from None
    return values
