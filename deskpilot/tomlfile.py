"""Loading TOML documents into pydantic models with errors that name the line and the problem.

Used by policy files and recipes: ``[[rule]]`` / ``[[step]]`` arrays of tables, plain tables and
top-level keys are all located in the text, so a user reads "line 7: step[2].tool: ...".
"""

from __future__ import annotations

import re
import tomllib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from deskpilot.errors import UsageError

ModelT = TypeVar("ModelT", bound=BaseModel)


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line that a validation error's location points at, or None."""
    lines = text.splitlines()
    start, end, path = 0, len(lines), list(loc)
    scoped = False
    if len(path) > 1 and isinstance(path[0], str) and isinstance(path[1], int):
        header = rf"\s*\[\[\s*{re.escape(path[0])}\s*\]\]"
        headers = [i for i, ln in enumerate(lines) if re.match(header, ln)]
        if path[1] >= len(headers):
            return None
        start, path, scoped = headers[path[1]], path[2:], True
    elif len(path) > 1 and isinstance(path[0], str):
        header = rf"\s*\[\s*{re.escape(path[0])}\s*\]"
        tables = [i for i, ln in enumerate(lines) if re.match(header, ln)]
        if tables:
            start, path, scoped = tables[0], path[1:], True
    if scoped:
        later = [i for i in range(start + 1, len(lines)) if re.match(r"\s*\[", lines[i])]
        end = later[0] if later else len(lines)
    else:
        first_table = [i for i, ln in enumerate(lines) if re.match(r"\s*\[", ln)]
        end = first_table[0] if first_table else len(lines)
    if path and isinstance(path[0], str):
        for i in range(start, end):
            if re.match(rf"\s*\"?{re.escape(path[0])}\"?\s*=", lines[i]):
                return i + 1
    return start + 1 if scoped else None


def where(loc: tuple[int | str, ...]) -> str:
    """``("step", 1, "tool")`` -> ``step[2].tool`` (1-based, as people count)."""
    parts = []
    for i, part in enumerate(loc):
        parts.append(f"[{part + 1}]" if isinstance(part, int) else ("." if i else "") + part)
    return "".join(parts) or "(top level)"


def problem(text: str, loc: tuple[int | str, ...], message: str) -> str:
    """One indented line: ``line N: where: message``."""
    line = line_of(text, loc)
    return f"  {f'line {line}: ' if line else ''}{where(loc)}: {message}"


def load_toml_model(text: str, model: type[ModelT], what: str) -> ModelT:
    """Parse ``text`` and validate it as ``model``.

    Raises:
        UsageError: ``{what}: invalid TOML ...`` or ``{what} is invalid:`` with one line per problem.
    """
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{what}: invalid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [problem(text, tuple(e["loc"]), e["msg"]) for e in exc.errors()]
        raise UsageError(f"{what} is invalid:\n" + "\n".join(lines)) from None
