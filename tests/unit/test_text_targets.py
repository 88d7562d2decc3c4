"""The places a task names on the screen: named lines, fields beside labels, and the decoding
schema that lets a click be only one of them."""

from __future__ import annotations

import dataclasses

import jsonschema
import numpy as np

from deskpilot.coords import CoordinateSpace
from deskpilot.perception.targets import named_places, named_targets
from deskpilot.perception.text import Box, ScreenText, TextLine, split_words
from deskpilot.perception.widgets import (
    field_beside,
    has_indicator,
    in_list,
    is_caption,
    under_icon,
)
from deskpilot.runtime.guidance import (
    POINTING,
    guided_schema,
    only_tools,
    tools_the_verb_allows,
    without_tools,
)
from deskpilot.tools import ToolRegistry
from deskpilot.tools.actions import Click


def line(text: str, x: int, y: int) -> TextLine:
    box = Box(x, y, 9 * len(text), 14)
    return TextLine(text, box, split_words(text, box))


SCREEN = ScreenText.of(
    [
        line("Name", 20, 20),
        line("Full name", 20, 60),
        line("Save", 20, 120),
        line("Cancel", 120, 120),
        line("Click", 300, 20),
        line("Ada", 400, 20),
        line("Save as", 300, 160),
    ]
)


def names(task: str) -> list[str]:
    return [found.text for found in named_places(SCREEN, task)]


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


def test_a_word_run_inside_a_line_is_a_place_when_no_whole_line_says_it() -> None:
    menu = line("Insert Reply Account Kainnork Battery", 10, 10)
    found = named_places(ScreenText.of([menu]), "click Kainnork")
    assert [m.text for m in found] == ["Kainnork"]
    x0 = found[0].box.x
    assert menu.box.x < x0 < menu.box.right and found[0].box.w < menu.box.w / 3
    assert names("click Save as now") == ["Save as"]  # "Save" alone is part of a longer place
    assert names("click Save as well") == []  # a longer name than anything on the screen says


def test_a_place_the_task_names_only_in_part_is_not_named() -> None:
    help_only = ScreenText.of([line("Help", 20, 20), line("Cancel", 120, 20)])
    assert [p.text for p in named_places(help_only, "click Help videos")] == []
    assert [p.text for p in named_places(help_only, "right-click Help now")] == ["Help"]
    # "Help" and "Cancel" both there, far apart: not one name "Help cancel"
    assert [p.text for p in named_places(help_only, "right-click Help cancel")] == []
    # one name the engine read as two lines is still named, in both parts
    split = ScreenText.of([line("Leanquutcund", 20, 20), line("address", 20, 40)])
    found = named_places(split, "click Leanquutcund address")
    assert sorted(p.text for p in found) == ["Leanquutcund", "address"]


def test_an_instruction_word_on_the_screen_is_named_only_as_an_object() -> None:
    buttons = ScreenText.of([line("Open", 20, 20), line("Select", 120, 20)])
    assert [p.text for p in named_places(buttons, "click Open")] == ["Open"]
    assert [p.text for p in named_places(buttons, "open the file menu")] == []
    assert [p.text for p in named_places(buttons, "double-click the Select button")] == ["Select"]


def form(button: bool) -> np.ndarray:
    """A 400x200 BGRA screen: a label "Name" at (20, 20, 36, 14) and a white entry right of it;
    with ``button``, a bordered button around the label instead."""
    pixels = np.full((200, 400, 4), 240, np.uint8)
    if button:
        pixels[10:45, 8:68, :3] = 90  # the border
        pixels[12:43, 10:66, :3] = 220  # the face; the caption sits in its middle
    else:
        pixels[15:40, 80:300, :3] = 255
        pixels[15, 80:300, :3] = 100
    return pixels


def test_a_label_names_the_field_beside_it_and_a_caption_only_itself() -> None:
    label = SCREEN.lines[0].box  # "Name", x 20-56, y 20-34
    point = field_beside(form(False), label)
    assert point is not None and 80 <= point[0] < 300 and point[1] == label.center[1]
    assert not is_caption(form(False), label) and is_caption(form(True), label)
    only_name = ScreenText.of([SCREEN.lines[0]])
    targets = named_targets(only_name, "click Name", form(False))
    assert [(t.text, t.field) for t in targets] == [("Name", False), ("Name", True)]
    typed = named_targets(only_name, 'type "Ada" into the Name field', form(False))
    assert [(t.text, t.field) for t in typed] == [("Name", True)]  # typed into: the field only
    assert [t.field for t in named_targets(only_name, "click Name", form(True))] == [False]


def test_no_field_where_the_row_is_background() -> None:
    assert field_beside(np.full((100, 400, 4), 240, np.uint8), Box(10, 10, 30, 14)) is None


def test_the_next_word_beside_a_label_is_no_field() -> None:
    label = SCREEN.lines[0].box  # "Name", x 20-56, y 20-34
    for height, is_field in ((11, False), (30, True)):  # a letter's stroke; a box's side
        pixels = np.full((200, 400, 4), 240, np.uint8)
        top = 27 - height // 2
        pixels[top : top + height, 90:92, :3] = 0
        pixels[top : top + 2, 90:200, :3] = 0
        pixels[top + height - 2 : top + height, 90:200, :3] = 0
        pixels[top : top + height, 198:200, :3] = 0
        point = field_beside(pixels, label)
        assert (point is not None and 90 < point[0] < 200) if is_field else point is None
    icon = np.full((200, 400, 4), 240, np.uint8)
    icon[7:47, 90:130, :3] = (40, 90, 200)  # a filled icon: as tall as a field, not a box's side
    assert field_beside(icon, label) is None
    flat = np.full((200, 400, 4), 240, np.uint8)
    flat[15:40, 90:300, :3] = 255  # a flat field with no border line: a wide box
    assert field_beside(flat, label) is not None


def test_a_list_item_and_an_icon_caption_name_no_field() -> None:
    item = line("Fezeax", 60, 80)  # x 60-114, y 80-94
    pixels = np.full((300, 400, 4), 255, np.uint8)
    pixels[10:200, 54:56, :3] = 90  # the list box's left side, 5 px left of the item
    pixels[10:200, 150:152, :3] = 90  # ... and its right side, where a field would be looked for
    assert in_list(pixels, item.box) and not under_icon(pixels, item.box)
    assert [t.field for t in named_targets(ScreenText.of([item]), "click Fezeax", pixels)] == [
        False
    ]
    button = np.full((300, 400, 4), 240, np.uint8)
    button[70:104, 20:56, :3] = 90  # a button's side beside a label: not a list's
    assert not in_list(button, item.box)
    caption = line("Maps", 60, 100)  # x 60-96, y 100-114
    icon = np.full((300, 400, 4), 240, np.uint8)
    icon[56:96, 58:98, :3] = (200, 80, 120)  # a 40-px icon 4 px above its caption
    assert under_icon(icon, caption.box)
    icon[56:96, 58:98, :3] = 240
    icon[70:96, 20:300, :3] = 255  # a field in the row above: far wider than tall
    assert not under_icon(icon, caption.box)


def test_a_check_box_caption_names_no_field() -> None:
    caption = line("Name", 60, 20)
    pixels = np.full((200, 400, 4), 240, np.uint8)
    pixels[22:32, 62:94, :3] = 0  # the caption's letters
    pixels[15:40, 120:300, :3] = 255  # an entry further right
    only = ScreenText.of([caption])
    assert not has_indicator(pixels, caption.box)
    assert [t.field for t in named_targets(only, "click Name", pixels)] == [False, True]
    pixels[20:33, 40:53, :3] = 60  # a 13-px check box left of the caption
    pixels[22:31, 42:51, :3] = 255
    assert has_indicator(pixels, caption.box)
    assert [t.field for t in named_targets(only, "click Name", pixels)] == [False]
    inside = dataclasses.replace(caption, box=Box(38, 20, 58, 14))  # the engine's box takes it in
    assert has_indicator(pixels, inside.box)
    pixels[22:31, 35:38, :3] = 0  # something right up against it: the end of a word, not a mark
    assert not has_indicator(pixels, caption.box)


def test_the_decoding_schema_allows_only_the_named_points() -> None:
    registry = ToolRegistry()
    space = CoordinateSpace.normalized()
    schema = guided_schema(registry.call_schema(), space, 120, points=[(250, 260), (700, 760)])
    valid = jsonschema.Draft202012Validator(schema)
    assert valid.is_valid({"name": "click", "arguments": {"x": 250, "y": 260}})
    assert valid.is_valid({"name": "double_click", "arguments": {"x": 700, "y": 760}})
    assert not valid.is_valid({"name": "click", "arguments": {"x": 251, "y": 260}})
    assert not valid.is_valid({"name": "click", "arguments": {"x": 250, "y": 500}})
    # a point is one place whole: x from one and y from another is no place at all
    assert not valid.is_valid({"name": "click", "arguments": {"x": 250, "y": 760}})
    assert not valid.is_valid({"name": "right_click", "arguments": {"x": 700, "y": 260}})
    ends = {"start_x": 250, "start_y": 760, "end_x": 700, "end_y": 260}
    drag = {"name": "drag", "arguments": ends}
    assert valid.is_valid(drag)  # two points: each axis from the named places, as before
    assert valid.is_valid(
        {"name": "key", "arguments": {"keys": "ctrl+s"}}
    )  # other tools: as before
    free = jsonschema.Draft202012Validator(guided_schema(registry.call_schema(), space, 120))
    assert free.is_valid({"name": "click", "arguments": {"x": 251, "y": 500}})


def test_a_field_border_read_as_punctuation_does_not_hide_the_label() -> None:
    read = line("Name |", 20, 20)  # an engine reads the entry's left border as "|"
    (place,) = named_places(ScreenText.of([read]), 'type "Ada" into Name')
    assert place.whole and place.text == "Name" and place.box.right < read.box.right


def test_without_tools_leaves_the_other_calls() -> None:
    registry = ToolRegistry()
    schema = registry.call_schema()
    left = without_tools(schema, POINTING)
    names = {ref["$ref"].rsplit("/", 1)[-1] for ref in left["anyOf"]}
    assert "ClickCall" not in names and "DragCall" not in names and "MoveCall" not in names
    assert {"ScrollCall", "FailCall", "KeyCall", "TypeTextCall"} <= names
    valid = jsonschema.Draft202012Validator(left)
    assert not valid.is_valid({"name": "click", "arguments": {"x": 1, "y": 2}})
    assert valid.is_valid({"name": "fail", "arguments": {"reason": "Save is not on the screen"}})
    only_clicks = ToolRegistry([Click]).call_schema()
    assert without_tools(only_clicks, POINTING) == only_clicks  # nothing else: as it is


def test_a_task_that_says_scroll_allows_scroll_done_and_fail_only() -> None:
    allowed = frozenset({"scroll", "done", "fail"})
    for task in ("scroll down in the list", "Scroll up.", "please scroll down", "now scroll"):
        assert tools_the_verb_allows(task) == allowed, task
    for task in ("click Scroll lock", "", "type scroll into Name", "press pagedown"):
        assert tools_the_verb_allows(task) is None, task
    schema = ToolRegistry().call_schema()
    kept = only_tools(schema, allowed)
    names = {ref["$ref"].rsplit("/", 1)[-1] for ref in kept["anyOf"]}
    assert names == {"ScrollCall", "DoneCall", "FailCall"}
    valid = jsonschema.Draft202012Validator(kept)
    assert not valid.is_valid({"name": "key", "arguments": {"keys": "ctrl+s"}})
    assert valid.is_valid({"name": "scroll", "arguments": {"x": 5, "y": 5, "dy": 3}})
    assert only_tools(schema, frozenset({"nope"})) == schema  # none of them: as it is
