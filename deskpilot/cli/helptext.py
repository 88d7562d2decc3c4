"""Help that reads cleanly: ``--run-dir PATH``, ``--max-steps INTEGER``, ``--dry-run`` and
``TASK`` instead of Typer's ``<path>``, ``<int>``, ``<bool>``, ``<list[Path]>`` and ``{task}``.

Typer builds a click command per parameter when the CLI runs; `CleanGroup`, the root group's class,
gives every parameter of every command below it the display of `CleanOption` / `CleanArgument`
once the tree is built, and every command's help its paragraphs as flowing text (Typer's rich
help keeps a docstring's line breaks after the first paragraph). Parsing is untouched: only what
help shows changes.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from typer import _click
from typer.core import TyperArgument, TyperGroup, TyperOption

TYPE_NAMES = {"int": "INTEGER", "float": "NUMBER", "str": "TEXT", "path": "PATH", "Path": "PATH"}


def metavar_of(label: str) -> str:
    """The shown name of a Typer type label: ``<list[Path]>`` -> ``PATH``, ``<int range>`` ->
    ``INTEGER``, ``<a|b>`` -> ``a|b``."""
    label = label.strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    label = label.removesuffix(" range")
    return TYPE_NAMES.get(label, label)


class CleanOption(TyperOption):
    """An option shown as ``--name TYPE`` (a flag: just ``--name``)."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        """The value's name in upper case; nothing for a flag."""
        if self.is_flag:
            return None
        return self.metavar or metavar_of(self.display_type(ctx))


class CleanArgument(TyperArgument):
    """An argument shown by its name in upper case, ``TASK`` or ``[PATHS]...``, without a type."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        """None: the argument's name says what it is."""
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return f"{name}..." if self.nargs != 1 else name


def reflow(help_text: str) -> str:
    """A docstring's paragraphs each on one line, for the terminal to wrap; a line that starts a
    list item (``-``, ``*``, ``1.``) keeps its break, and so does a paragraph marked ``\\b``."""
    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(
        par if par.startswith("\b") else re.sub(r"\n(?!\s*(?:[-*]|\d+\.)\s)", " ", par)
        for par in paragraphs
    )


def clean_params(command: Any) -> None:
    """Give ``command``'s parameters (its help option included) and those of every command under
    it the clean display, and their help text its flowing paragraphs."""
    if command.help:
        command.help = reflow(command.help)
    help_option = command.get_help_option(_click.Context(command))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperOption) and not isinstance(param, CleanOption):
            param.__class__ = CleanOption
        elif isinstance(param, TyperArgument) and not isinstance(param, CleanArgument):
            param.__class__ = CleanArgument
            param.metavar = param.metavar or param.name.upper() if param.name else param.metavar
    for sub in getattr(command, "commands", {}).values():
        clean_params(sub)


class CleanGroup(TyperGroup):
    """The root group: once Typer has built the command tree, every parameter gets the clean
    display (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        clean_params(self)
