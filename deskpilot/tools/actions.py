"""One pydantic model per action. Class docstrings and field descriptions become the prompt text.

Each model holds only the call's arguments; its tool name is the class variable ``name``. The wire
format is ``{"name": "<tool>", "arguments": {...}}`` (see `deskpilot.tools.registry`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deskpilot.drivers.base import Button, InputDriver
from deskpilot.keys import key_combo_pattern, parse_combo

Category = Literal["gui", "system", "control", "plugin"]
Point = tuple[int, int]

# Characters that may never be typed or run, by Unicode category rather than by a list: controls
# (Cc; tab and newline excepted), format characters (Cf: zero-width, bidirectional, soft hyphen,
# tags, ...), private use (Co), line and paragraph separators (Zl, Zp), the whole tag block, and the
# default-ignorable characters of other categories (the combining grapheme joiner, Hangul fillers,
# Khmer inherent vowels). Lone surrogates (Cs) are no valid string: pydantic refuses them.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Zl", "Zp"})
TAG_BLOCK = range(0xE0000, 0xE0080)
IGNORABLE_OTHERS = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0})


def _forbidden(code: int) -> bool:
    if chr(code) in "\t\n":
        return False
    return (
        unicodedata.category(chr(code)) in FORBIDDEN_CATEGORIES
        or code in TAG_BLOCK
        or code in IGNORABLE_OTHERS
    )


def _escape(code: int) -> str:
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


# Where format, control, separator and private-use characters can be: planes 0, 1 and 14 are read
# character by character; planes 15 and 16 are private use throughout (the standard's stability
# policy), and planes 2 to 13 hold none.
_SCANNED = (range(0xD800), range(0xE000, 0x20000), range(0xE0000, 0xF0000))
_PRIVATE_PLANES = ((0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))


def _character_class(predicate: Callable[[int], bool]) -> str:
    """The body of a regex character class (escapes that both Python's re and Rust's regex read)
    of the code points for which ``predicate`` holds, as ranges."""
    ranges: list[list[int]] = []
    for block in _SCANNED:
        for code in filter(predicate, block):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    ranges += [list(r) for r in _PRIVATE_PLANES]
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)


FORBIDDEN_CHARS = _character_class(_forbidden)
SAFE_TEXT_PATTERN = f"^[^{FORBIDDEN_CHARS}]*$"

# Coordinates carry their axis in the schema ("x-axis"), so that the schema sent to constrained
# decoding can be bounded to the model's coordinate space (`deskpilot.runtime.guidance.guided_schema`).
CoordX = Annotated[
    int,
    Field(
        ge=0,
        le=100_000,
        description="x in the model's coordinate space",
        json_schema_extra={"x-axis": "x"},
    ),
]
CoordY = Annotated[
    int,
    Field(
        ge=0,
        le=100_000,
        description="y in the model's coordinate space",
        json_schema_extra={"x-axis": "y"},
    ),
]
SafeText = Annotated[str, Field(min_length=1, max_length=4000, pattern=SAFE_TEXT_PATTERN)]
# Text the task may quote carries "x-copies": a model folder can ask for it to be decoded as one of
# the task's quoted texts (`deskpilot.runtime.guidance.guided_schema`, ``quoted``).
QuotableText = Annotated[SafeText, Field(json_schema_extra={"x-copies": "quoted"})]
Summary = Annotated[str, Field(max_length=4000, pattern=SAFE_TEXT_PATTERN)]


class Action(BaseModel):
    """Base of every action model: strict, frozen, no extra fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: ClassVar[str]
    category: ClassVar[Category]

    def points(self) -> tuple[Point, ...]:
        """The points this action targets, in the model's coordinate space."""
        return ()

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Carry the action out with ``driver``; ``targets`` are `points()` mapped to the screen."""
        raise NotImplementedError(f"{self.name} is not executed by an input driver")

    def describe(self, targets: Sequence[Point]) -> str:
        """What this action does (or would do), in words, for records and dry runs."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.model_dump().items())
        where = f" at {', '.join(f'({x}, {y})' for x, y in targets)}" if targets else ""
        return f"{self.name}({args}){where}"


class Click(Action):
    """Click a mouse button at a point of the screen."""

    name: ClassVar[str] = "click"
    category: ClassVar[Category] = "gui"
    x: CoordX
    y: CoordY
    button: Button = Field("left", description="which mouse button")
    clicks: int = Field(1, ge=1, le=3, description="1 = single, 2 = double, 3 = triple click")

    def points(self) -> tuple[Point, ...]:
        """The click point."""
        return ((self.x, self.y),)

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Click at the target."""
        ((x, y),) = targets
        driver.click(x, y, button=self.button, clicks=self.clicks)
        return f"clicked {self.button} x{self.clicks} at ({x}, {y})"


class DoubleClick(Action):
    """Double-click the left mouse button at a point (open an icon, select a word)."""

    name: ClassVar[str] = "double_click"
    category: ClassVar[Category] = "gui"
    x: CoordX
    y: CoordY

    def points(self) -> tuple[Point, ...]:
        """The click point."""
        return ((self.x, self.y),)

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Double-click at the target."""
        ((x, y),) = targets
        driver.click(x, y, button="left", clicks=2)
        return f"double-clicked at ({x}, {y})"


class RightClick(Action):
    """Click the right mouse button at a point (open a context menu)."""

    name: ClassVar[str] = "right_click"
    category: ClassVar[Category] = "gui"
    x: CoordX
    y: CoordY

    def points(self) -> tuple[Point, ...]:
        """The click point."""
        return ((self.x, self.y),)

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Right-click at the target."""
        ((x, y),) = targets
        driver.click(x, y, button="right", clicks=1)
        return f"right-clicked at ({x}, {y})"


class Move(Action):
    """Move the mouse pointer to a point without clicking (hover)."""

    name: ClassVar[str] = "move"
    category: ClassVar[Category] = "gui"
    x: CoordX
    y: CoordY

    def points(self) -> tuple[Point, ...]:
        """The destination."""
        return ((self.x, self.y),)

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Move the pointer to the target."""
        ((x, y),) = targets
        driver.move(x, y)
        return f"moved to ({x}, {y})"


class Drag(Action):
    """Press a mouse button at one point, move to another and release it there."""

    name: ClassVar[str] = "drag"
    category: ClassVar[Category] = "gui"
    start_x: CoordX
    start_y: CoordY
    end_x: CoordX
    end_y: CoordY
    button: Button = Field("left", description="which mouse button to hold")

    def points(self) -> tuple[Point, ...]:
        """Start and end points."""
        return ((self.start_x, self.start_y), (self.end_x, self.end_y))

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Drag from the first target to the second."""
        start, end = targets
        driver.drag(start, end, button=self.button)
        return f"dragged {self.button} from {start} to {end}"


def _turning(axis: str) -> dict[str, Any]:
    """The schema clause "``axis`` is given and is not 0": the validator's rule, in the schema, so
    that constrained decoding (which reads the schema, not the validator) cannot end a scroll
    without a wheel click."""
    return {"required": [axis], "properties": {axis: {"anyOf": [{"maximum": -1}, {"minimum": 1}]}}}


class Scroll(Action):
    """Scroll with the mouse wheel at a point. dy > 0 scrolls down, dx > 0 scrolls right."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [_turning("dy"), _turning("dx")]})

    name: ClassVar[str] = "scroll"
    category: ClassVar[Category] = "gui"
    x: CoordX
    y: CoordY
    dx: int = Field(0, ge=-50, le=50, description="horizontal wheel clicks, > 0 is right")
    dy: int = Field(0, ge=-50, le=50, description="vertical wheel clicks, > 0 is down")

    @model_validator(mode="after")
    def _moves(self) -> Scroll:
        if self.dx == 0 and self.dy == 0:
            raise ValueError("dx and dy are both 0: a scroll must move")
        return self

    def points(self) -> tuple[Point, ...]:
        """Where the wheel turns."""
        return ((self.x, self.y),)

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Scroll at the target."""
        ((x, y),) = targets
        driver.scroll(x, y, dx=self.dx, dy=self.dy)
        return f"scrolled dx={self.dx} dy={self.dy} at ({x}, {y})"


class TypeText(Action):
    """Type text with the keyboard into the focused element. Newline presses Enter."""

    name: ClassVar[str] = "type_text"
    category: ClassVar[Category] = "gui"
    text: QuotableText

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Type the text."""
        driver.type_text(self.text)
        return f"typed {len(self.text)} characters"


class Key(Action):
    """Press a key or a key combination, such as enter, escape, ctrl+s or ctrl+shift+t."""

    name: ClassVar[str] = "key"
    category: ClassVar[Category] = "gui"
    keys: str = Field(pattern=key_combo_pattern(), description="a key or mod+key combination")

    def perform(self, driver: InputDriver, targets: Sequence[Point]) -> str:
        """Press the combination."""
        driver.press_keys(parse_combo(self.keys))
        return f"pressed {self.keys}"


class Wait(Action):
    """Wait for the screen to change (a window opening, a page loading)."""

    name: ClassVar[str] = "wait"
    category: ClassVar[Category] = "control"
    seconds: float = Field(gt=0, le=60, description="how long to wait, in seconds")


class Screenshot(Action):
    """Take a fresh screenshot; the next observation shows it."""

    name: ClassVar[str] = "screenshot"
    category: ClassVar[Category] = "control"


class Shell(Action):
    """Run a command line (no shell syntax) and read its output. Disabled by the default policy."""

    name: ClassVar[str] = "shell"
    category: ClassVar[Category] = "system"
    command: Annotated[str, Field(min_length=1, max_length=2000, pattern=SAFE_TEXT_PATTERN)]


class Done(Action):
    """Finish: the task is complete. Give the answer or a short summary of what was done."""

    name: ClassVar[str] = "done"
    category: ClassVar[Category] = "control"
    answer: Summary = ""


class Fail(Action):
    """Give up: the task cannot be done (e.g. the element named is not on the screen). Say why."""

    name: ClassVar[str] = "fail"
    category: ClassVar[Category] = "control"
    reason: Summary = ""


BUILTIN_ACTIONS: tuple[type[Action], ...] = (
    Click,
    DoubleClick,
    RightClick,
    Move,
    Drag,
    Scroll,
    TypeText,
    Key,
    Wait,
    Screenshot,
    Shell,
    Done,
    Fail,
)
