"""The places a task names on the screen: named lines, fields beside labels, and the decoding
schema that lets a click be only one of them."""

from __future__ import annotations

import jsonschema
import numpy as np

from deskpilot.coords import CoordinateSpace
from deskpilot.perception.targets import asks_to_type, field_beside, named_lines, named_targets
from deskpilot.perception.text import Box, ScreenText, TextLine, split_words
from deskpilot.tools import ToolRegistry
from deskpilot.tools.registry import guided_schema


def line(text: str, x: int, y: int) -> TextLine:
    box = Box(x, y, 9 * len(text), 14)
    return TextLine(text, box, split_words(text, box))


SCREEN = ScreenText.of(
    [line("Name", 20, 20), line("Full name", 20, 60), line("Save", 20, 120), line("Cancel", 120, 120),
     line("Click", 300, 20), line("Ada", 400, 20), line("Save as", 300, 160)]
)  # fmt: skip


def names(task: str) -> list[str]:
    return [found.text for found in named_lines(SCREEN, task)]


def test_the_lines_a_task_names() -> None:
    assert names("click Save") == ["Save"]
    assert names("click the CANCEL button.") == ["Cancel"]
    assert names("click Export") == []
    assert names('type "Ada" into Full name then click Save') == ["Full name", "Save"]  # not "Name"
    assert names('type "Save" into Name') == ["Name"]  # quoted text is what to type, not a place
    assert names("click Save as") == ["Save as"]  # the longer line, not "Save" inside it
    assert names("click on it") == []  # "Click" on the screen is an instruction word in the task


def test_a_quote_breaks_a_run_of_words() -> None:
    assert names('click Save "as" well') == ["Save"]


def test_fields_are_places_only_when_the_task_types() -> None:
    assert asks_to_type('type "x" into Name') and asks_to_type("type x into Name")
    assert not asks_to_type("click Name")
    pixels = np.full((200, 400, 4), 240, np.uint8)
    pixels[15:40, 80:300, :3] = 255  # a white entry right of the label "Name" (x 20-56, y 20-34)
    pixels[15, 80:300, :3] = 100  # its border
    label = SCREEN.lines[0].box
    point = field_beside(pixels, label)
    assert point is not None and 80 <= point[0] < 300 and point[1] == label.center[1]
    typing = named_targets(ScreenText.of([SCREEN.lines[0]]), 'type "Ada" into Name', pixels)
    assert [(t.text, t.field) for t in typing] == [("Name", False), ("Name", True)]
    clicking = named_targets(ScreenText.of([SCREEN.lines[0]]), "click Name", pixels)
    assert [(t.text, t.field) for t in clicking] == [("Name", False)]


def test_no_field_where_the_row_is_background() -> None:
    assert field_beside(np.full((100, 400, 4), 240, np.uint8), Box(10, 10, 30, 14)) is None


def test_the_decoding_schema_allows_only_the_named_points() -> None:
    registry = ToolRegistry()
    space = CoordinateSpace.normalized()
    schema = guided_schema(registry.call_schema(), space, 120, points=[(250, 260), (700, 760)])
    valid = jsonschema.Draft202012Validator(schema)
    assert valid.is_valid({"name": "click", "arguments": {"x": 250, "y": 260}})
    assert valid.is_valid({"name": "double_click", "arguments": {"x": 700, "y": 760}})
    assert not valid.is_valid({"name": "click", "arguments": {"x": 251, "y": 260}})
    assert not valid.is_valid({"name": "click", "arguments": {"x": 250, "y": 500}})
    assert valid.is_valid(
        {"name": "key", "arguments": {"keys": "ctrl+s"}}
    )  # other tools: as before
    free = jsonschema.Draft202012Validator(guided_schema(registry.call_schema(), space, 120))
    assert free.is_valid({"name": "click", "arguments": {"x": 251, "y": 500}})
