"""Screen text without an engine: finding a text among lines and words, and the reader that
re-reads only what changed (a fake engine that records what it was asked to read)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image

from deskpilot.perception import Box, ScreenReader, ScreenText, TextLine, TextNotFound
from deskpilot.perception.text import normalize, split_words
from deskpilot.runtime.textmatch import Instruction, parse_task
from deskpilot.screen import Frame


def line(text: str, x: int, y: int, w: int = 0, h: int = 14) -> TextLine:
    box = Box(x, y, w or 8 * len(text), h)
    return TextLine(text, box, split_words(text, box))


SCREEN = ScreenText.of(
    [
        line("Save", 400, 220),
        line("Save as...", 480, 220),
        line("File name:", 20, 60),
        line("Open file", 20, 20),
        line("Cancel", 300, 220),
    ]
)


def test_whole_lines_win_over_words_inside_lines() -> None:
    assert SCREEN.find("save").box == Box(400, 220, 32, 14)
    assert SCREEN.find("File name").text == "File name:"
    assert SCREEN.find("open").box.x == 20  # a word inside a line
    assert normalize("  Save  As… ") == "save as"


def test_missing_or_repeated_text_is_an_error_that_lists_the_screen() -> None:
    with pytest.raises(TextNotFound, match=r"'Delete' is not on the screen; it says: 'Open file'"):
        SCREEN.find("Delete")
    twice = ScreenText.of([line("OK", 10, 10), line("OK", 200, 10)])
    with pytest.raises(TextNotFound, match=r"'ok' is on the screen 2 times"):
        twice.find("ok")


def test_words_are_placed_through_the_lines_characters() -> None:
    words = split_words("ab cdef", Box(0, 0, 70, 10))
    assert [w.text for w in words] == ["ab", "cdef"]
    assert words[0].box.x == 0 and words[0].box.w == 20 and words[1].box.x == 30


class Recording:
    """A fake engine: answers from a table of lines in screen pixels, records each crop's size."""

    name = "fake"

    def __init__(self, lines: list[TextLine]) -> None:
        self.lines, self.crops = lines, list[tuple[int, int]]()

    def read(self, rgb: np.ndarray[Any, Any]) -> list[TextLine]:
        self.crops.append((rgb.shape[1], rgb.shape[0]))
        return []


def frame(changes: tuple[Box, ...] = ()) -> Frame:
    image = Image.new("RGB", (600, 400), "white")
    for box in changes:
        image.paste((0, 0, 0), (box.x, box.y, box.right, box.bottom))
    return Frame.from_image(image)


def test_the_reader_reads_only_what_changed() -> None:
    engine = Recording([])
    reader = ScreenReader(engine)
    reader.read(frame())
    assert engine.crops == [(600, 400)]  # the first frame whole
    reader.read(frame())
    assert engine.crops == [(600, 400)] and reader.stats.area_read == 0  # nothing changed
    reader.read(frame((Box(100, 100, 20, 10),)))
    assert engine.crops[-1] == (20 + 24, 10 + 24)  # the change and a margin
    reader.read(frame((Box(0, 0, 600, 300),)))
    assert engine.crops[-1] == (600, 400)  # most of the screen changed: read whole


def test_a_line_the_change_touches_is_read_again_whole() -> None:
    class Once:
        name = "once"

        def __init__(self) -> None:
            self.calls = 0

        def read(self, rgb: np.ndarray[Any, Any]) -> list[TextLine]:
            self.calls += 1
            return [line("Nothing saved yet", 100, 100, w=200)] if self.calls == 1 else []

    reader = ScreenReader(Once())
    assert [ln.text for ln in reader.read(frame()).lines] == ["Nothing saved yet"]
    text = reader.read(frame((Box(290, 105, 4, 4),)))  # the line's right end changed
    assert text.lines == ()  # the whole line was read again (and the fake now reads nothing)


def test_tasks_are_split_into_instructions() -> None:
    assert parse_task('type "Ada Lovelace" into the Name field, then click Save') == [
        Instruction("type", "Name", "Ada Lovelace"),
        Instruction("click", "Save"),
    ]
    assert parse_task("double-click report.txt and press ctrl+s") == [
        Instruction("double_click", "report.txt"),
        Instruction("key", text="ctrl+s"),
    ]
    assert parse_task('right-click on the "Trash" icon') == [Instruction("right_click", "Trash")]
    assert parse_task("press Enter") == [Instruction("key", text="enter")]
    assert parse_task("type salt and pepper into Notes then undo") == [
        Instruction("type", "Notes", "salt and pepper"),
        Instruction("key", text="ctrl+z"),
    ]
    assert parse_task("find text") == [Instruction("key", text="ctrl+f")]
    with pytest.raises(ValueError, match="cannot read 'make me a sandwich'"):
        parse_task("make me a sandwich")
    with pytest.raises(ValueError, match="unknown key"):
        parse_task("press hyperspace")


def test_a_screen_of_another_size_keeps_nothing_of_the_last_one() -> None:
    class Twice:
        name = "twice"

        def __init__(self) -> None:
            self.calls = 0

        def read(self, rgb: np.ndarray[Any, Any]) -> list[TextLine]:
            self.calls += 1
            return [line("Refresh", 500, 350)] if self.calls == 1 else []

    reader = ScreenReader(Twice())
    assert [ln.text for ln in reader.read(frame()).lines] == ["Refresh"]  # at (500, 350)
    small = Frame.from_image(Image.new("RGB", (300, 200), "white"))
    assert reader.read(small).lines == ()  # not the big screen's line, outside this one
