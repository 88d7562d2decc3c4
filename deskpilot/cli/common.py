"""Shared pieces of the CLI: the error console, usage-error handling and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from deskpilot.errors import UsageError
from deskpilot.plugins.manager import PluginReport, load_plugins
from deskpilot.tools.registry import ToolRegistry

EXIT_USAGE = 2
err = Console(stderr=True)


def build_registry() -> tuple[ToolRegistry, Any, PluginReport]:
    """The built-in tools plus every allowed plugin's; plugin errors are printed, not fatal."""
    registry = ToolRegistry()
    manager, report = load_plugins(registry)
    for name, problem in report.errors.items():
        err.print(f"[yellow]plugin {name}:[/] ", end="")
        err.print(problem, markup=False, highlight=False)
    return registry, manager, report


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
