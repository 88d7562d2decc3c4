"""Schemas for constrained decoding: a tool-call schema bounded to the model's coordinate space,
its strings capped, and, where a task quotes texts or names places, narrowed to them.

Only the decoding is guided by these; the tool registry validates the output against the full
schema afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import jsonschema

from deskpilot.coords import CoordinateSpace

__all__ = [
    "POINTING",
    "guided_schema",
    "only_tools",
    "quoted_spans",
    "tools_the_verb_allows",
    "without_tools",
    "word_runs",
]

_QUOTED = re.compile(r'"([^"\n]*)"|\u201c([^\u201d\n]*)\u201d')
_MARKS = ("x-axis", "x-copies")
_WORD = re.compile(r"\S+")
_TRAILING = ".,;:!?"
_TYPING = frozenset(["type", "enter", "write"])  # the verbs whose object is the text to type
_TYPED_ENDS = frozenset(["into", "in", "then", "and"])  # the words after the text to type
MAX_RUN_WORDS = 8  # the longest run of a task's words that typed text is decoded as
POINTING = frozenset({"click", "double_click", "right_click", "move", "drag"})  # act on a place
# a task that starts with one of these verbs can only be done with its tool (or finished, or
# declined): "scroll down in the list" never presses a key or types
VERB_TOOLS = {"scroll": frozenset({"scroll", "done", "fail"})}
_POLITE = frozenset(["please", "now", "then"])


def quoted_spans(task: str) -> list[str]:
    """The texts a task quotes in double quotes (``"..."`` or ``\u201c...\u201d``), in order,
    each once: ``type "Ada Lovelace" into Name`` -> ``["Ada Lovelace"]``."""
    spans = (a or b for a, b in _QUOTED.findall(task))
    return list(dict.fromkeys(span for span in spans if span.strip()))


def word_runs(task: str, max_words: int = MAX_RUN_WORDS) -> list[str]:
    """The runs of up to ``max_words`` consecutive words of ``task`` that typed text is decoded
    as for a folder that copies the task's words, as the task writes them (inner spaces and
    punctuation kept; a copy without the run's trailing full stop or comma too), shortest
    first, each once. Where the task says what to type (a run right after "type", "enter" or
    "write" that ends the task, a clause, or before "into", "in", "then" or "and"), only those
    runs (``type ada lovelace into Name`` -> ``"ada"``, ``"ada lovelace"``); else every run."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(task)]
    said = [task[a:b].casefold().rstrip(_TRAILING) for a, b in words]

    def delimited(first: int, last: int) -> bool:
        ends = last == len(words) - 1 or said[last + 1] in _TYPED_ENDS
        inside = said[first : last + 1]
        if first == 0 or said[first - 1] not in _TYPING or "into" in inside or "then" in inside:
            return False
        return ends or task[words[last][1] - 1] in ",;"

    runs: list[str] = []
    typed: list[str] = []
    for size in range(1, max_words + 1):
        for first in range(len(words) - size + 1):
            run = task[words[first][0] : words[first + size - 1][1]]
            runs += [run, run.rstrip(_TRAILING)]
            if delimited(first, first + size - 1):
                typed += [run, run.rstrip(_TRAILING)]
    return list(dict.fromkeys(run for run in typed or runs if run))


def tools_the_verb_allows(task: str) -> frozenset[str] | None:
    """The tools a task's first word allows (`VERB_TOOLS`: ``scroll ...`` -> scroll, done and
    fail), or None where it allows any (after "please"; "Scroll lock" in "click Scroll lock" is
    an object, not the verb)."""
    words = [w.casefold().strip(_TRAILING) for w in task.split()]
    while words and words[0] in _POLITE:
        words.pop(0)
    return VERB_TOOLS.get(words[0]) if words else None


def without_tools(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """A tool-call schema (as `deskpilot.tools.ToolRegistry.call_schema` makes it) without the
    calls of the tools ``names``; the schema as it is if nothing else would be left."""
    return _calls_where(schema, lambda name: name not in names)


def only_tools(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """A tool-call schema with only the calls of the tools ``names``; the schema as it is if it
    has none of them."""
    return _calls_where(schema, lambda name: name in names)


def _calls_where(schema: dict[str, Any], keep: Callable[[Any], bool]) -> dict[str, Any]:
    definitions = schema.get("$defs", {})

    def name(ref: dict[str, Any]) -> Any:
        call = definitions.get(str(ref.get("$ref", "")).rsplit("/", 1)[-1], {})
        return call.get("properties", {}).get("name", {}).get("const")

    kept = [ref for ref in schema.get("anyOf", []) if keep(name(ref))]
    return {**schema, "anyOf": kept} if kept else schema


def guided_schema(
    schema: dict[str, Any],
    space: CoordinateSpace,
    max_text: int | None = None,
    quoted: Sequence[str] = (),
    points: Sequence[tuple[int, int]] = (),
) -> dict[str, Any]:
    """A tool-call schema made for constrained decoding: every coordinate bounded to ``space``
    (through the ``x-axis`` marks the action models carry), strings capped at ``max_text``
    characters, compact JSON (no free whitespace). With ``quoted`` (the task's quoted texts, see
    `quoted_spans`, or the runs of its words, see `word_runs`), text marked ``x-copies`` can
    only be one of them, so a small model types exactly what the task says. With ``points`` (in
    ``space``: the places the task names, see `deskpilot.perception.targets`), every coordinate
    can only be one of theirs on its axis, and an action's one point (x then y) only one of
    them whole: y is the chosen x's own. Validation afterwards uses the full schema."""
    inclusive = space.kind == "normalized"
    limits = {
        "x": space.width if inclusive else space.width - 1,
        "y": space.height if inclusive else space.height - 1,
    }

    def bound(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: bound(v) for k, v in node.items() if k not in _MARKS}
            if node.get("x-copies") == "quoted":
                allowed = [t for t in quoted if jsonschema.Draft202012Validator(out).is_valid(t)]
                if allowed:
                    return {"type": "string", "enum": allowed}
            if node.get("x-axis") in limits:
                out["maximum"] = limits[node["x-axis"]]
                if points:
                    axis = 0 if node["x-axis"] == "x" else 1
                    out["enum"] = sorted({p[axis] for p in points})
            if points and _one_point(node):
                axes = _axes(node)
                return {"anyOf": [_at(out, axes, point) for point in sorted(set(points))]}
            if max_text is not None and node.get("type") == "string" and "enum" not in node:
                out["maxLength"] = min(int(node.get("maxLength", max_text)), max_text)
            return out
        if isinstance(node, list):
            return [bound(v) for v in node]
        return node

    bounded: dict[str, Any] = bound(schema)
    return {"x-guidance": {"whitespace_flexible": False}, **bounded}


def _axes(node: dict[str, Any]) -> dict[str, str]:
    """An object schema's coordinate properties, by axis (``{"x": "x", "y": "y"}``)."""
    properties = node.get("properties", {})
    return {
        value["x-axis"]: name
        for name, value in properties.items()
        if isinstance(value, dict) and value.get("x-axis") in ("x", "y")
    }


def _one_point(node: dict[str, Any]) -> bool:
    """Whether an object schema has exactly one point: one x and one y property."""
    properties = node.get("properties", {})
    marked = [v for v in properties.values() if isinstance(v, dict) and "x-axis" in v]
    return len(marked) == 2 and set(_axes(node)) == {"x", "y"}


def _at(bounded: dict[str, Any], axes: dict[str, str], point: tuple[int, int]) -> dict[str, Any]:
    """A copy of a one-point object schema (already bounded; ``axes`` its coordinate properties)
    whose point can only be ``point``."""
    properties = dict(bounded["properties"])
    for axis, name in axes.items():
        properties[name] = {**properties[name], "enum": [point[0 if axis == "x" else 1]]}
    return {**bounded, "properties": properties}
