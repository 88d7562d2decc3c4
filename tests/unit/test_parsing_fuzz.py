"""Arbitrary model output never crashes the parser: it is a valid call or a clear ToolCallError."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from deskpilot.errors import ToolCallError
from deskpilot.tools import ToolRegistry

REGISTRY = ToolRegistry()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
argument_values = st.dictionaries(
    st.sampled_from(["x", "y", "text", "keys", "button", "clicks", "dx", "dy", "seconds", "zz"]),
    json_values,
    max_size=5,
)


def _check(text: str) -> None:
    try:
        call = REGISTRY.parse(text)
    except ToolCallError as exc:
        assert str(exc)
    else:
        assert call.name in REGISTRY


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_random_text_is_parsed_or_cleanly_rejected(text: str) -> None:
    _check(text)


@settings(max_examples=500)
@given(st.sampled_from([*REGISTRY.names(), "nope", ""]), argument_values)
def test_random_calls_are_validated_or_cleanly_rejected(
    name: str, arguments: dict[str, object]
) -> None:
    text = json.dumps({"name": name, "arguments": arguments})
    _check(text)
    for cut in (len(text) // 3, len(text) // 2, len(text) - 1):
        _check(text[:cut])
