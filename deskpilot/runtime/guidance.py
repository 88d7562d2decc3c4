"""Schemas for constrained decoding: a tool-call schema bounded to the model's coordinate space,
its strings capped, and, where a task quotes texts or names places, narrowed to them.

Only the decoding is guided by these; the tool registry validates the output against the full
schema afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jsonschema

from deskpilot.coords import CoordinateSpace

__all__ = ["guided_schema", "quoted_spans"]

_QUOTED = re.compile(r'"([^"\n]*)"|\u201c([^\u201d\n]*)\u201d')
_MARKS = ("x-axis", "x-copies")


def quoted_spans(task: str) -> list[str]:
    """The texts a task quotes in double quotes (``"..."`` or ``\u201c...\u201d``), in order,
    each once: ``type "Ada Lovelace" into Name`` -> ``["Ada Lovelace"]``."""
    spans = (a or b for a, b in _QUOTED.findall(task))
    return list(dict.fromkeys(span for span in spans if span.strip()))


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
    `quoted_spans`), text marked ``x-copies`` can only be one of them, so a small model types
    exactly what the task quotes. With ``points`` (in ``space``: the places the task names, see
    `deskpilot.perception.targets`), every coordinate can only be one of theirs on its axis.
    Validation afterwards uses the full schema."""
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
            if max_text is not None and node.get("type") == "string" and "enum" not in node:
                out["maxLength"] = min(int(node.get("maxLength", max_text)), max_text)
            return out
        if isinstance(node, list):
            return [bound(v) for v in node]
        return node

    bounded: dict[str, Any] = bound(schema)
    return {"x-guidance": {"whitespace_flexible": False}, **bounded}
