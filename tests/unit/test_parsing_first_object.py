"""Only the object at the first brace counts: a broken outer call never yields an inner one."""

from __future__ import annotations

import pytest

from deskpilot.errors import ToolCallError
from deskpilot.tools import ToolRegistry


def test_an_inner_call_inside_a_cut_off_outer_one_is_not_executed() -> None:
    cut = '{"name": "type_text", "arguments": {"name": "click", "arguments": {"x": 1, "y": 2}}'
    with pytest.raises(ToolCallError, match="not valid JSON"):
        ToolRegistry().parse(cut)


def test_prose_before_the_call_is_still_fine() -> None:
    call = ToolRegistry().parse('Sure. {"name": "done", "arguments": {}} trailing words')
    assert call.name == "done"
