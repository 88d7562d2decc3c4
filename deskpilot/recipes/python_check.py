"""Checking a Python recipe without running it: its source is parsed, never imported.

A Python recipe is code: running it (`deskpilot recipe run FILE.py`) runs whatever it contains with
your rights, like any Python script. `deskpilot recipe check FILE.py` only reads it: the syntax, one
``@recipe`` function, and its parameters (literal defaults) from the syntax tree.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.recipes.schema import Param, Recipe, Step


def _is_recipe_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Name) and target.id == "recipe") or (
        isinstance(target, ast.Attribute) and target.attr == "recipe"
    )


def _default(node: ast.expr | None, name: str, path: Path) -> Any:
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise UsageError(
            f"recipe {path}: the default of parameter {name!r} is not a literal "
            f"(line {node.lineno}); checking does not run code"
        ) from None
    return value


def check_python_recipe(path: Path) -> Recipe:
    """The `Recipe` a ``.py`` recipe describes, read from its source without executing it.

    Raises:
        UsageError: The file cannot be read or parsed, or has not exactly one `@recipe` function.
    """
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read recipe {path}: {exc}") from None
    except SyntaxError as exc:
        raise UsageError(f"recipe {path}: line {exc.lineno}: {exc.msg}") from None
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_is_recipe_decorator(d) for d in node.decorator_list)
    ]
    if len(found) != 1:
        raise UsageError(
            f"recipe {path} must define exactly one @recipe function (found {len(found)})"
        )
    func = found[0]
    arguments = [*func.args.posonlyargs, *func.args.args][1:]  # the first one is the context
    defaults: list[ast.expr | None] = [None] * (len(arguments) - len(func.args.defaults))
    defaults += list(func.args.defaults)
    pairs = [
        *zip(arguments, defaults, strict=True),
        *zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True),
    ]
    params = {arg.arg: Param(default=_default(node, arg.arg, path)) for arg, node in pairs}
    return Recipe(
        name=func.name,
        description=ast.get_docstring(func) or "",
        params=params,
        step=[Step(agent="(python recipe)")],
    )
