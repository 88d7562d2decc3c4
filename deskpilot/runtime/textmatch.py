"""`--model text-match`: a deterministic baseline that grounds instructions in the screen's text.

No learning: the task is split into instructions ("click Save", "double-click report.txt",
"right-click Trash", 'type "Ada" into Name', "press ctrl+s", joined by "then" or "and"), each step
reads the screen (OCR at native resolution) and answers the next action:

- click / double-click / right-click X: the one place the screen says X;
- type "T" into X: a click on the field beside the label X (right of it, else below it), then the
  text; type "T" alone types into the focused element;
- press K: the key combination; the common commands by name ("undo", "save the file", "find
  text", ...: `deskpilot.data.tasks.KEY_TASKS`) by their shortcut;
- then `done`; and `fail`, naming what the screen says, when X is not there or is there twice.

It is fast and predictable, useful in itself, and the bar a learned model must clear.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.data.tasks import KEY_TASKS
from deskpilot.keys import parse_combo
from deskpilot.perception import ScreenReader, ScreenText, TextEngine, TextNotFound, default_engine
from deskpilot.perception.widgets import field_beside
from deskpilot.runtime.base import HistoryEntry, ModelReply, ModelRequest
from deskpilot.screen import Frame

_SPLIT = re.compile(
    r"\s*(?:[,;]\s*(?:and\s+)?then\s+|\s+and\s+then\s+|\s+then\s+|[,;]\s*|\s+and\s+)"
    r"(?=(?:double[- ]?click|right[- ]?click|click|type|press|enter|"
    + "|".join(re.escape(phrase) for phrase in KEY_TASKS)
    + r")\b)",
    re.IGNORECASE,
)
_CLICK = re.compile(
    r"^(?P<kind>double[- ]?click|right[- ]?click|click)\s+(?:on\s+)?(?:the\s+)?(?P<target>.+?)"
    r"(?:\s+(?:button|link|tab|menu|item|check ?box|option|icon|label))?\.?$",
    re.IGNORECASE,
)
_TYPE = re.compile(
    r"^(?:type|enter)\s+(?P<q>[\"\u201c])(?P<text>.+?)[\"\u201d]"
    r"(?:\s+(?:into|in)\s+(?:the\s+)?(?P<field>.+?)(?:\s+(?:field|box|entry))?)?\.?$",
    re.IGNORECASE,
)
_TYPE_UNQUOTED = re.compile(  # the text up to the last " into "
    r"^(?:type|enter)\s+(?P<text>.+)\s+into\s+(?:the\s+)?(?P<field>.+?)(?:\s+(?:field|box|entry))?\.?$",
    re.IGNORECASE,
)
_PRESS = re.compile(r"^press\s+(?:the\s+)?(?P<keys>\S+?)(?:\s+key)?\.?$", re.IGNORECASE)
_KINDS = {"click": "click", "doubleclick": "double_click", "rightclick": "right_click"}
_KEY_WORDS = {"enter": "enter", "return": "enter", "escape": "escape", "esc": "escape"}


@dataclass(frozen=True)
class Instruction:
    """One instruction of a task: what to do, its target text, and the text to type."""

    kind: str  # click, double_click, right_click, type, key
    target: str = ""
    text: str = ""

    @property
    def actions(self) -> int:
        """How many tool calls it takes."""
        return 2 if self.kind == "type" and self.target else 1


def parse_task(task: str) -> list[Instruction]:
    """The task's instructions, or a `ValueError` naming the part that is not understood."""
    instructions = []
    for part in _SPLIT.split(task.strip()):
        part = part.strip().rstrip(".")
        if shortcut := KEY_TASKS.get(" ".join(part.lower().split())):
            instructions.append(Instruction("key", text=shortcut))
        elif match := _TYPE.match(part) or _TYPE_UNQUOTED.match(part):
            instructions.append(Instruction("type", (match["field"] or "").strip(), match["text"]))
        elif match := _CLICK.match(part):
            kind = _KINDS[re.sub(r"[- ]", "", match["kind"].lower())]
            instructions.append(Instruction(kind, match["target"].strip().strip("\"'\u201c\u201d")))
        elif match := _PRESS.match(part):
            keys = _KEY_WORDS.get(match["keys"].lower(), match["keys"])
            parse_combo(keys)  # raises ValueError naming the unknown key
            instructions.append(Instruction("key", text=keys))
        else:
            raise ValueError(
                f"cannot read {part!r}: the text-match model follows 'click X', 'double-click X', "
                "'right-click X', 'type \"T\" into X', 'press K', joined by 'then' or 'and'"
            )
    return instructions


def _succeeded(history: list[HistoryEntry]) -> int:
    return sum(1 for entry in history if not entry.observation.startswith("Error:"))


class TextMatchModel:
    """The text-match baseline (see the module docstring); screen-pixel coordinates."""

    name = "text-match"
    audio_refusal = "the text-match baseline reads only the written task and the screen's text"

    def __init__(self, engine: TextEngine | None = None) -> None:
        self.reader = ScreenReader(engine or default_engine())

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """Screen pixels of the full-resolution capture."""
        return CoordinateSpace.screen(frame.width, frame.height)

    def next_action(self, request: ModelRequest) -> ModelReply:
        """The next call of the task, grounded in the screen's text."""
        try:
            call = self._next(request)
        except (ValueError, TextNotFound) as exc:
            call = {"name": "fail", "arguments": {"reason": _printable(str(exc))}}
        stats = {"ocr_ms": round(self.reader.stats.ms, 3), "ocr_area": self.reader.stats.area_read}
        return ModelReply(text=json.dumps(call, ensure_ascii=False), stats=stats)

    def _next(self, request: ModelRequest) -> dict[str, Any]:
        instructions = parse_task(request.task)
        done = _succeeded(list(request.history))
        for instruction in instructions:
            if done < instruction.actions:
                return self._act(instruction, done, request.frame)
            done -= instruction.actions
        return {"name": "done", "arguments": {"answer": "did: " + _printable(request.task)}}

    def _act(self, instruction: Instruction, substep: int, frame: Frame) -> dict[str, Any]:
        if instruction.kind == "key":
            return {"name": "key", "arguments": {"keys": instruction.text}}
        if instruction.kind == "type" and (substep == 1 or not instruction.target):
            return {"name": "type_text", "arguments": {"text": instruction.text}}
        text = self.reader.read(frame)
        if instruction.kind == "type":
            return self._click_field(text, instruction.target, frame)
        x, y = text.find(instruction.target).box.center
        return {"name": instruction.kind, "arguments": {"x": x, "y": y}}

    def _click_field(self, text: ScreenText, label: str, frame: Frame) -> dict[str, Any]:
        point = field_beside(frame.pixels, text.find(label).box)
        if point is None:
            raise TextNotFound(f"there is no field beside the label {label!r}")
        return {"name": "click", "arguments": {"x": point[0], "y": point[1]}}

    def close(self) -> None:
        """Nothing to release."""


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable())[:3000]
