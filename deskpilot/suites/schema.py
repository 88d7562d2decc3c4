"""The task suite file (TOML): tasks with a desktop set-up, a checker, a budget and a policy,
validated with errors that name the line (as policies and recipes are).

name = "my chores"
policy = "default"          # each task's policy unless it names its own
max_steps = 10              # each task's step budget unless it names its own

[[task]]
id = "save-note"
instruction = 'type "hello" then press ctrl+s'   # for the model; {workdir} is the task's folder
reference = "recipes/save_note.toml"             # optional: a recipe that does it (--model reference)
params = { path = "{workdir}/note.txt" }         # the recipe's parameters
setup = { start = ["l3afpad {workdir}/note.txt"], files = { "note.txt" = "" }, wait_window = "note" }
check = { file_contains = ["{workdir}/note.txt", "hello"] }   # or [[task.check]] tables: all hold

A task is either an instruction for the model (with an optional ``reference`` recipe) or a
``recipe`` (run as it is, the model only for its agent steps). The checker decides success from the
state of the desktop afterwards: what the model or the recipe says about itself does not count.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deskpilot.errors import UsageError
from deskpilot.recipes.schema import PLACEHOLDER, Scalar, placeholders, substitute
from deskpilot.tomlfile import problem, where
from deskpilot.tools.registry import ToolRegistry

BUILTIN = "builtin"
REFERENCE = "reference"  # the --model that runs each task's reference recipe
TASK_PLACEHOLDERS = ("workdir", "python", "suite_dir")  # what {name} may name outside recipes
TASK_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CHECKS = ("file_exists", "file_absent", "file_contains", "file_equals", "window_title",
          "clipboard", "app_state", "screen_text", "python")  # fmt: skip


class AppState(BaseModel):
    """A value an application reports in a JSON state file: ``key`` (dotted for nested
    objects) must equal ``equals``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(min_length=1)
    key: str = Field(min_length=1)
    equals: Scalar | None = None


class Check(BaseModel):
    """One check on the real state after the run; exactly one kind per table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_exists: str | None = None
    file_absent: str | None = None
    file_contains: tuple[str, str] | None = Field(None, description="[path, text]")
    file_equals: tuple[str, str] | None = Field(None, description="[path, whole content]")
    window_title: str | None = Field(None, description="regex on any top-level window's title")
    clipboard: str | None = Field(None, description="the clipboard's whole text")
    app_state: AppState | None = None
    screen_text: str | None = Field(None, min_length=1, description="text the screen says")
    python: str | None = Field(None, description="module:function, called with the check context")

    @model_validator(mode="after")
    def _one_kind(self) -> Check:
        given = [f for f in CHECKS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(CHECKS)}")
        if self.python is not None and not re.fullmatch(r"[\w.]+:\w+", self.python):
            raise ValueError("python = 'package.module:function'")
        return self

    @property
    def kind(self) -> str:
        """The name of the check (``file_contains``, ``clipboard``, ...)."""
        return next(f for f in CHECKS if getattr(self, f) is not None)


class Setup(BaseModel):
    """How a task's desktop starts: files put in place, programs started, a window waited for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    files: dict[str, str] = Field(default_factory=dict, description="path under {workdir}: text")
    start: list[str] = Field(default_factory=list, description="command lines, started in order")
    wait_window: str | None = Field(None, description="regex on a window title to wait for")
    timeout: float = Field(20, gt=0, le=600)

    @field_validator("files")
    @classmethod
    def _inside_workdir(cls, files: dict[str, str]) -> dict[str, str]:
        for name in files:
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise ValueError(f"{name!r}: files go under the task's folder (a relative path)")
        return files


class SuiteTask(BaseModel):
    """One task of a suite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    instruction: str = ""
    recipe: str | None = Field(None, description="the task is this recipe (.toml or .py)")
    reference: str | None = Field(None, description="a recipe that does the instruction")
    params: dict[str, Scalar] = Field(default_factory=dict)
    setup: Setup = Field(default_factory=Setup)
    check: list[Check] = Field(min_length=1)
    max_steps: int | None = Field(None, ge=1, le=200)
    policy: str | None = None
    timeout: float | None = Field(None, gt=0, le=3600)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not TASK_ID.match(value):
            raise ValueError("an id is lower-case letters, digits, '-', '_' or '.' (64 at most)")
        return value

    @field_validator("check", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _what_runs(self) -> SuiteTask:
        if self.recipe is None and not self.instruction:
            raise ValueError("a task needs an instruction or a recipe")
        if self.recipe is not None and self.reference is not None:
            raise ValueError("a recipe task is its own reference: give recipe or reference")
        if self.params and self.recipe is None and self.reference is None:
            raise ValueError("params belong to a recipe (recipe or reference)")
        return self

    @property
    def recipe_file(self) -> str | None:
        """The recipe this task runs with ``--model reference``: its recipe or its reference."""
        return self.recipe or self.reference


class Suite(BaseModel):
    """A whole suite file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: str = ""
    policy: str = "default"
    max_steps: int = Field(10, ge=1, le=200)
    timeout: float = Field(180, gt=0, le=3600, description="seconds per task, set-up included")
    task: list[SuiteTask] = Field(min_length=1)


class LoadedSuite(BaseModel):
    """A validated suite and the folder its relative paths start from."""

    model_config = ConfigDict(frozen=True)

    suite: Suite
    path: Path

    @property
    def root(self) -> Path:
        """The folder of the suite file."""
        return self.path.parent

    def task(self, task_id: str) -> SuiteTask:
        """The task with this id."""
        return next(t for t in self.suite.task if t.id == task_id)


def task_values(workdir: Path, suite_dir: Path) -> dict[str, Scalar]:
    """The values of a task's placeholders: ``{workdir}``, ``{python}``, ``{suite_dir}``."""
    return {"workdir": str(workdir), "python": sys.executable, "suite_dir": str(suite_dir)}


def fill(value: Any, values: dict[str, Scalar]) -> Any:
    """``value`` with its ``{workdir}``-style placeholders filled (strings stay strings)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), value)
    return substitute(value, values)


def builtin_suite_path() -> Path:
    """The built-in suite's file inside the package (``deskpilot/suites/builtin/suite.toml``)."""
    resource = resources.files("deskpilot.suites").joinpath("builtin", "suite.toml")
    if not isinstance(resource, Path):  # pragma: no cover - installed as a zip
        raise UsageError("the built-in suite needs deskpilot installed as files, not a zip")
    return resource


def resolve_suite(spec: str) -> Path:
    """``builtin`` or a path to a suite file."""
    return builtin_suite_path() if spec == BUILTIN else Path(spec)


def load_suite(spec: str, registry: ToolRegistry | None = None) -> LoadedSuite:
    """Read and check a suite: schema, unique ids, known placeholders, recipes that exist and
    validate (with their parameters), policies that load.

    Raises:
        UsageError: Naming the line and the problem.
    """
    path = resolve_suite(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read suite {path}: {exc}") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"suite {path}: invalid TOML: {exc}") from None
    lines = _TaskLines(text)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        found = [
            lines.problem(tuple(e["loc"][1:]), e["msg"])
            if _in_task(e["loc"])
            else problem(text, tuple(e["loc"]), e["msg"])
            for e in exc.errors()
        ]
        raise UsageError(f"suite {path} is invalid:\n" + "\n".join(found)) from None
    problems = _problems(suite, lines, path.parent, registry or ToolRegistry())
    if problems:
        raise UsageError(f"suite {path} is invalid:\n" + "\n".join(problems))
    return LoadedSuite(suite=suite, path=path.resolve())


def _in_task(loc: tuple[int | str, ...]) -> bool:
    return len(loc) > 1 and loc[0] == "task" and isinstance(loc[1], int)


def _problems(suite: Suite, lines: _TaskLines, root: Path, registry: ToolRegistry) -> list[str]:
    from deskpilot.cli.common import load_policy_spec

    problems: list[str] = []
    seen: set[str] = set()
    for index, task in enumerate(suite.task):
        if task.id in seen:
            problems.append(lines.problem((index, "id"), f"the id {task.id!r} is used twice"))
        seen.add(task.id)
        outside = task.model_dump(include={"instruction", "setup", "check"})
        unknown = placeholders(outside) - set(TASK_PLACEHOLDERS)
        unknown |= placeholders(task.params) - set(TASK_PLACEHOLDERS)
        if unknown:
            problems.append(
                lines.problem(
                    (index,),
                    f"unknown placeholder(s) {sorted(unknown)}; "
                    f"a task knows {', '.join(TASK_PLACEHOLDERS)}",
                )
            )
        for field in ("recipe", "reference"):
            name = getattr(task, field)
            if name is not None:
                problem = _recipe_problem(root / name, task.params, registry)
                if problem:
                    problems.append(lines.problem((index, field), problem))
        if task.policy is not None:
            try:
                load_policy_spec(task.policy)
            except UsageError as exc:
                problems.append(lines.problem((index, "policy"), str(exc)))
    try:
        load_policy_spec(suite.policy)
    except UsageError as exc:
        problems.append(f"  policy: {exc}")
    return problems


def _recipe_problem(path: Path, params: dict[str, Scalar], registry: ToolRegistry) -> str:
    from deskpilot.recipes.python_check import check_python_recipe
    from deskpilot.recipes.schema import load_recipe

    if not path.is_file():
        return f"no recipe file {path}"
    try:
        recipe = check_python_recipe(path) if path.suffix == ".py" else load_recipe(path, registry)
    except UsageError as exc:
        return str(exc).replace("\n", "\n    ")
    unknown = sorted(set(params) - set(recipe.params))
    if unknown:
        return f"the recipe has no parameter(s) {unknown}; it has {sorted(recipe.params)}"
    missing = sorted(n for n, p in recipe.params.items() if p.default is None and n not in params)
    if missing:
        return f"the recipe needs the parameter(s) {missing}: add them to params"
    return ""


class _TaskLines:
    """Where a task's keys are in the text: ``[[task]]`` headers, the sub-tables under each
    (``[task.setup]``, ``[[task.check]]``) and the ``key =`` lines in between."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [
            i for i, ln in enumerate(self.lines) if re.match(r"\s*\[\[\s*task\s*\]\]", ln)
        ]

    def line(self, loc: tuple[int | str, ...]) -> int | None:
        """The 1-based line of ``loc`` = (task index, key, ...), or None."""
        if not loc or not isinstance(loc[0], int) or loc[0] >= len(self.starts):
            return None
        start = self.starts[loc[0]]
        nxt = self.starts[loc[0] + 1] if loc[0] + 1 < len(self.starts) else len(self.lines)
        if len(loc) > 1 and isinstance(loc[1], str):
            key = re.escape(loc[1])
            for i in range(start, nxt):
                if re.match(rf"\s*\[\[?\s*task\.{key}\s*\]\]?", self.lines[i]) or re.match(
                    rf"\s*\"?{key}\"?\s*=", self.lines[i]
                ):
                    return i + 1
        return start + 1

    def problem(self, loc: tuple[int | str, ...], message: str) -> str:
        """``  line N: task[i].key: message``."""
        line = self.line(loc)
        return f"  {f'line {line}: ' if line else ''}{where(('task', *loc))}: {message}"
