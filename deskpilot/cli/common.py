"""Shared pieces of the CLI: the consoles, usage-error handling, exit codes and wording helpers."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions

from deskpilot.errors import UsageError
from deskpilot.plugins.manager import PluginReport, load_plugins
from deskpilot.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from deskpilot.agent.records import RunResult
    from deskpilot.policies.policy import Policy

EXIT_USAGE = 2
PIPE_WIDTH = 10_000  # the width of a console that is not a terminal: nothing wraps or truncates


class CliConsole(Console):
    """A rich console that wraps to the terminal when it writes to one, and writes whole lines
    (no wrapping mid-sentence, no truncated table cells) when its stream is a pipe or a file."""

    @property
    def size(self) -> ConsoleDimensions:
        """The terminal's size; `PIPE_WIDTH` columns when the stream is not a terminal."""
        size = super().size
        if self._width is not None or self.is_terminal:
            return size
        return ConsoleDimensions(PIPE_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


err = CliConsole(stderr=True)
out = CliConsole()


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 step``, ``2 steps``: a count and the word that fits it (``many``: an irregular plural)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def build_registry() -> tuple[ToolRegistry, Any, PluginReport]:
    """The built-in tools plus every allowed plugin's; plugin errors are printed, not fatal."""
    registry = ToolRegistry()
    manager, report = load_plugins(registry)
    for name, problem in report.errors.items():
        err.print(f"[yellow]plugin {name}:[/] ", end="")
        err.print(problem, markup=False, highlight=False)
    return registry, manager, report


def load_policy_spec(spec: str | None, presets: dict[str, str] | None = None) -> Policy:
    """A policy file or preset, as ``--policy`` names it; a name that is neither gets the list of
    presets (and the one it is closest to) instead of "no such file".

    Raises:
        UsageError: No such preset or file, or the file is invalid.
    """
    from deskpilot.policies import PRESETS, load_policy

    names = [*PRESETS, *(presets or {})]
    looks_like_name = spec is not None and "/" not in spec and not Path(spec).suffix
    if looks_like_name and spec not in names and not Path(str(spec)).exists():
        close = difflib.get_close_matches(str(spec), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"no policy preset or file named {spec!r}{hint}; the presets are "
            f"{', '.join(names)}; or give a policy file (.toml)"
        )
    return load_policy(spec, presets)


def summary(result: RunResult, run_dir: Path) -> None:
    """The outcome, the reason and where the trajectory is, on stderr."""
    color = "green" if result.outcome.value == "done" else "red"
    err.print(
        f"[bold {color}]{result.outcome.value}[/] after {plural(result.steps, 'step')}: ", end=""
    )
    err.print(result.reason, markup=False, highlight=False)
    err.print(f"trajectory: {run_dir}", highlight=False)


def fail_usage(message: str) -> NoReturn:
    """Print a usage error on stderr and exit with code 2."""
    err.print("[bold red]error:[/] ", end="")
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


@contextmanager
def usage_errors() -> Iterator[None]:
    """Turn a `UsageError` raised inside the block into a clean message and exit code 2."""
    try:
        yield
    except UsageError as exc:
        fail_usage(str(exc))
