"""Agent tasks on a screen with ground truth: one step at a time, with the history so far.

A `Sample` is what the model sees (screenshot, task, history) and the one right tool call, in the
normalized 0-1000 space of the coordinate contract. Multi-step tasks ("type TEXT into FIELD") give
one sample per step. Instructions naming something not on the screen expect `fail`.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from typing import Any

from PIL import Image

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.data.elements import Box, Element, Screen
from deskpilot.data.forms import draw_form
from deskpilot.data.vocab import Vocabulary
from deskpilot.errors import ActionFailed
from deskpilot.runtime.base import HistoryEntry

TASK_KINDS = ("click", "double_click", "right_click", "type", "key", "scroll", "done", "not_found")
KEY_TASKS = {
    "save the file": "ctrl+s", "copy the selection": "ctrl+c", "paste": "ctrl+v", "undo": "ctrl+z",
    "select everything": "ctrl+a", "close the window": "alt+F4", "press enter": "enter",
    "press escape": "escape", "press tab": "tab", "open a new tab": "ctrl+t", "find text": "ctrl+f",
}  # fmt: skip
OBSERVATIONS = {"click": "clicked left x1", "double_click": "double-clicked", "right_click":
                "right-clicked", "type_text": "typed", "key": "pressed", "scroll": "scrolled"}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One training or evaluation step."""

    image: Image.Image
    task: str
    history: tuple[HistoryEntry, ...]
    target: dict[str, Any]
    kind: str
    box: Box | None = None  # where a click must land, in pixels of ``image``
    elements: tuple[Element, ...] = ()  # everything nameable on the screen (training targets)

    def action_type(self) -> str:
        """The tool the right answer calls."""
        return str(self.target["name"])


def normalized_center(box: Box, size: tuple[int, int]) -> tuple[int, int]:
    """The centre of ``box`` in 0-1000 space (the inverse of the coordinate contract)."""
    (x0, y0, x1, y1), (w, h) = box, size
    return round((x0 + x1) / 2 * 1000 / w), round((y0 + y1) / 2 * 1000 / h)


def lands_inside(call: dict[str, Any], box: Box, size: tuple[int, int]) -> bool:
    """Whether a call's point, mapped through the coordinate contract, lands inside ``box``."""
    args = call.get("arguments", {})
    if "x" not in args or "y" not in args:
        return False
    monitor = MonitorGeometry(left=0, top=0, width=size[0], height=size[1])
    try:
        x, y = scale_coordinates(args["x"], args["y"], CoordinateSpace.normalized(), monitor)
    except (ActionFailed, TypeError):
        return False
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _entry(step: int, call: dict[str, Any], observation: str) -> HistoryEntry:
    return HistoryEntry(step=step, call=json.dumps(call), observation=observation)


def _pointer(tool: str, element: Element, size: tuple[int, int]) -> dict[str, Any]:
    x, y = normalized_center(element.box, size)
    return {"name": tool, "arguments": {"x": x, "y": y}}


def samples_for(screen: Screen, rng: random.Random, vocab: Vocabulary, kind: str) -> list[Sample]:
    """The samples of one task of ``kind`` on ``screen`` (empty if the screen cannot host it)."""
    size, image, els = screen.image.size, screen.image, screen.elements
    fields = [e for e in els if e.kind == "field"]
    if kind in ("click", "double_click", "right_click", "done") and els:
        element = rng.choice(els)
        tool = kind if kind != "done" else rng.choice(["click", "double_click", "right_click"])
        verb = {"click": "click", "double_click": "double-click", "right_click": "right-click"}[
            tool
        ]
        task = f"{verb} {element.label}"
        call = _pointer(tool, element, size)
        if kind != "done":
            return [
                Sample(image=image, task=task, history=(), target=call, kind=kind, box=element.box)
            ]
        done_entry = _entry(1, call, OBSERVATIONS[tool])
        return [
            Sample(
                image=image,
                task=task,
                history=(done_entry,),
                kind="done",
                target={"name": "done", "arguments": {"answer": f"{verb}ed {element.label}"}},
            )
        ]
    if kind == "type" and fields:
        element, text = rng.choice(fields), vocab.text()
        task = f"type {vocab.shown(text)} into {element.label}"
        click = _pointer("click", element, size)
        typed = {"name": "type_text", "arguments": {"text": text}}
        first = _entry(1, click, OBSERVATIONS["click"])
        second = _entry(2, typed, f"typed {len(text)} characters")
        done = {"name": "done", "arguments": {"answer": f"typed {text} into {element.label}"}}
        return [
            Sample(image=image, task=task, history=(), target=click, kind="type", box=element.box),
            Sample(image=image, task=task, history=(first,), target=typed, kind="type"),
            Sample(image=image, task=task, history=(first, second), target=done, kind="done"),
        ]
    if kind == "key":
        task, keys = rng.choice(sorted(KEY_TASKS.items()))
        call = {"name": "key", "arguments": {"keys": keys}}
        pressed = _entry(1, call, f"pressed {keys}")
        return [
            Sample(image=image, task=task, history=(), target=call, kind="key"),
            Sample(
                image=image,
                task=task,
                history=(pressed,),
                kind="done",
                target={"name": "done", "arguments": {"answer": f"pressed {keys}"}},
            ),
        ]
    if kind == "scroll" and screen.scrollables:
        area, down = rng.choice(screen.scrollables), rng.random() < 0.5
        x, y = normalized_center(area.box, size)
        call = {"name": "scroll", "arguments": {"x": x, "y": y, "dy": 5 if down else -5}}
        task = f"scroll {'down' if down else 'up'} in the list"
        return [
            Sample(image=image, task=task, history=(), target=call, kind="scroll", box=area.box)
        ]
    if kind == "not_found":
        present = {e.label.lower() for e in els} | screen.texts  # never a title or a text line
        missing = vocab.label_not_in(present)
        verb = rng.choice(["click", "double-click", "right-click"])
        target = {"name": "fail", "arguments": {"reason": f"{missing} is not on the screen"}}
        return [
            Sample(
                image=image, task=f"{verb} {missing}", history=(), target=target, kind="not_found"
            )
        ]
    return []


def random_samples(
    screen: Screen,
    rng: random.Random,
    vocab: Vocabulary,
    count: int = 4,
    weights: dict[str, float] | None = None,
) -> list[Sample]:
    """Several different tasks on one screen (screens are expensive to draw; tasks are cheap); fewer
    than ``count`` when the screen hosts fewer (a drawn task already taken is dropped)."""
    weights = weights or {"click": 4, "double_click": 1, "right_click": 1, "type": 2, "key": 1,
                          "scroll": 1, "done": 1, "not_found": 1}  # fmt: skip
    kinds, odds = zip(*weights.items(), strict=True)
    out: list[Sample] = []
    seen: set[str] = set()
    for _ in range(count * 3):
        if len(out) >= count:
            break
        for sample in samples_for(screen, rng, vocab, rng.choices(kinds, odds)[0]):
            key = repr((sample.task, sample.history))
            if key not in seen:
                seen.add(key)
                out.append(sample)
    return [dataclasses.replace(s, elements=tuple(screen.elements)) for s in out[:count]]


def typing_drill(
    rng: random.Random,
    vocab: Vocabulary,
    font_sizes: tuple[int, int] = (11, 16),
    face: int | None = None,
) -> list[Sample]:
    """The steps of a typing task after its click (type the text, then ``done``) on a form dialog:
    samples that teach copying the task's text into the call, which takes many more examples than
    the typing tasks among all the others give."""
    while True:
        screen = draw_form(rng, vocab, (1008, 624), False, face, font_sizes)
        steps = samples_for(screen, rng, vocab, "type")
        if steps:
            return [dataclasses.replace(s, elements=tuple(screen.elements)) for s in steps[1:]]
