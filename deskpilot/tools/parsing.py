"""Strict JSON loading for model output: size and depth limits, no duplicate keys, no NaN.

Free-text models wrap calls in prose or code fences; the first JSON object in the text is taken.
Everything else is a `ToolCallError` whose message tells the model what was wrong.
"""

from __future__ import annotations

import json
from typing import Any

from deskpilot.errors import ToolCallError

MAX_CALL_CHARS = 16_384
MAX_DEPTH = 8


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ToolCallError(f"duplicate key {key!r} in the tool call")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise ToolCallError(f"{name} is not allowed in a tool call (numbers must be finite)")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def load_strict_json(text: str) -> Any:
    """Decode a whole JSON document with the rules of tool calls: no duplicate keys, no NaN.

    Raises:
        ToolCallError: Not JSON, a duplicate key, NaN/Infinity, or nested too deeply to decode.
    """
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ToolCallError(f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ToolCallError(f"JSON nested deeper than {MAX_DEPTH} levels") from None


def _depth(value: Any, limit: int) -> int:
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _first_object(text: str) -> Any:
    """Decode the whole text, or else the JSON object that starts at its first ``{``.

    Only the first ``{`` is tried: trying later ones would dig a complete inner object (say the
    arguments of a cut-off call that look like a call themselves) out of a broken outer one.
    """
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as whole_error:
        start = text.find("{")
        if start != -1:
            try:
                value, _ = _DECODER.raw_decode(text, start)
                return value
            except json.JSONDecodeError:
                pass
        raise ToolCallError(
            f"not valid JSON: {whole_error.msg} at line {whole_error.lineno} column "
            f"{whole_error.colno}; answer with one JSON object "
            '{"name": "<tool>", "arguments": {...}}'
        ) from None


def load_tool_call_json(text: str) -> dict[str, Any]:
    """Parse model output into the raw tool-call object.

    Raises:
        ToolCallError: Empty, oversized, too deeply nested, not JSON, duplicate keys, NaN/Infinity,
            or not a JSON object.
    """
    stripped = text.strip()
    if not stripped:
        raise ToolCallError("empty output: answer with one JSON tool call")
    if len(stripped) > MAX_CALL_CHARS:
        raise ToolCallError(f"output of {len(stripped)} characters exceeds {MAX_CALL_CHARS}")
    try:
        value = _first_object(stripped)
    except RecursionError:
        raise ToolCallError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise ToolCallError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if not isinstance(value, dict):
        raise ToolCallError(f"expected a JSON object, got {type(value).__name__}")
    return value
