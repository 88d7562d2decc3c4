"""`@tool`: a typed, documented Python function becomes a tool (an `Action` model).

The JSON Schema comes from the type hints; the description from the docstring's summary; each
argument's description from its ``Args:`` entry. A missing description fails here, at registration.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any, get_type_hints

from pydantic import Field, create_model

from deskpilot.drivers.base import InputDriver
from deskpilot.errors import UsageError
from deskpilot.tools.actions import Action, Point


def _arg_docs(doc: str) -> dict[str, str]:
    """Argument descriptions from a Google-style ``Args:`` section."""
    match = re.search(r"^Args:\s*$(.*?)(?=^\S|\Z)", doc, re.MULTILINE | re.DOTALL)
    if not match:
        return {}
    docs: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        entry = re.match(r"^\s+(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if entry and (current is None or len(line) - len(line.lstrip()) <= 4):
            current = entry.group(1)
            docs[current] = entry.group(2).strip()
        elif current and line.strip():
            docs[current] += " " + line.strip()
    return docs


def tool(func: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Turn a function into a tool class. Use as ``@tool`` or ``@tool(name="...")``.

    Raises:
        UsageError: The function has no docstring, an argument without a type hint or without a
            description, or ``*args`` / ``**kwargs``.
    """

    def build(fn: Callable[..., Any]) -> type[Action]:
        tool_name = name or fn.__name__
        doc = inspect.getdoc(fn) or ""
        summary = doc.split("\n\n")[0].strip()
        if not summary:
            raise UsageError(
                f"tool {tool_name!r}: the function needs a docstring (it is the prompt)"
            )
        hints = get_type_hints(fn, include_extras=True)
        arg_docs = _arg_docs(doc)
        fields: dict[str, Any] = {}
        for param in inspect.signature(fn).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise UsageError(f"tool {tool_name!r}: *args and **kwargs cannot be described")
            if param.name not in hints:
                raise UsageError(f"tool {tool_name!r}: argument {param.name!r} has no type hint")
            if not arg_docs.get(param.name):
                raise UsageError(
                    f"tool {tool_name!r}: argument {param.name!r} has no description in Args:"
                )
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (
                hints[param.name],
                Field(default, description=arg_docs[param.name]),
            )

        def perform(self: Action, driver: InputDriver, targets: Sequence[Point]) -> str:
            result = fn(**{k: getattr(self, k) for k in fields})
            return "done" if result is None else str(result)

        camel = "".join(part.capitalize() for part in tool_name.split("_")) or "Tool"
        model: type[Action] = create_model(camel, __base__=Action, __doc__=summary, **fields)
        model.name = tool_name
        model.category = "plugin"
        model.perform = perform  # type: ignore[method-assign]
        model.__module__ = fn.__module__
        return model

    return build(func) if func is not None else build
