"""Native action formats: the prompt and output format a model was trained on, and the adapter
that turns its answer into deskpilot's typed calls (which then pass the same validation and
policy as any other). One small module per format holds that format's quirks.

A format is chosen by a model folder's ``deskpilot.json`` (``"action_format": "ui_tars"``) or
``--action-format``; `NativeModel` wraps any backend with one.
"""

from __future__ import annotations

from typing import Any, Protocol

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import UsageError

__all__ = ["FORMATS", "ActionFormat", "RawCall", "action_format", "offered", "tool_names"]

RawCall = dict[str, Any]  # {"name": ..., "arguments": {...}}, validated later by the registry


class ActionFormat(Protocol):
    """A model's own way of answering."""

    name: str

    def instructions(self, space: CoordinateSpace) -> str:
        """The action space in the model's own words (its tools prompt)."""
        ...

    def grammar(self, space: CoordinateSpace, tools: frozenset[str]) -> tuple[str, str]:
        """``(kind, text)`` for genai's ``set_guidance``: a grammar of one answer, with only the
        native actions whose deskpilot calls are among ``tools`` (all of them if none is)."""
        ...

    def calls(self, text: str, space: CoordinateSpace) -> list[RawCall]:
        """The answer as deskpilot calls, in order (one native action can be several, e.g. a
        click then typing). Raises `deskpilot.errors.ToolCallError`, in words the model can
        act on, when the answer is not one of its actions."""
        ...


def tool_names(schema: dict[str, Any]) -> frozenset[str]:
    """The tools a tool-call schema offers (the names its call definitions fix)."""
    names = set()
    for definition in schema.get("$defs", {}).values():
        name = definition.get("properties", {}).get("name", {})
        if isinstance(name, dict) and "const" in name:
            names.add(str(name["const"]))
    return frozenset(names)


def offered(native: dict[str, frozenset[str]], tools: frozenset[str]) -> list[str]:
    """The native actions (in order) all of whose deskpilot calls are in ``tools``; all of them
    when none is (the policy then decides, as for any call)."""
    allowed = [name for name, needs in native.items() if needs <= tools]
    return allowed or list(native)


def _formats() -> dict[str, ActionFormat]:
    from deskpilot.runtime.formats.fara import FaraFormat
    from deskpilot.runtime.formats.ui_tars import UiTarsFormat

    return {f.name: f for f in (FaraFormat(), UiTarsFormat())}


FORMATS = ("deskpilot", "fara", "ui_tars")


def action_format(name: str) -> ActionFormat | None:
    """The format called ``name`` (None for deskpilot's own JSON tool calls).

    Raises:
        UsageError: An unknown name, listing the known ones.
    """
    key = name.strip().lower().replace("-", "_")
    if key in ("deskpilot", "json", ""):
        return None
    known = _formats()
    if key not in known:
        raise UsageError(f"unknown action format {name!r}; formats: {', '.join(FORMATS)}")
    return known[key]
