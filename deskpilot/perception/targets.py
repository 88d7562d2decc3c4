"""Where a task can point: the places on the screen it names, and the fields beside them.

A task such as ``type "Ada" into Name then click Save`` names two of the screen's texts, "Name"
and "Save". The points a click can mean are each named text's centre and, for a label (a whole
line that is not a button's own caption), the field beside it (right of the label, else below
it). A model that reads the screen's text has its clicks decoded as one of these points
(`deskpilot.runtime.genai`): it chooses *which* named place to click and never invents one; with
nothing named, its clicks stay free.

Text is compared as `normalize` compares it: whole lines first, else the longest run of a line's
words the task says (an OCR engine reads a menu bar as one line). Quoted text (what to type)
names nothing; a place the task names only as part of a longer named place ("Name" in "Full
name") is dropped, as is part of a line where a whole line says the same; text made only of
instruction words ("click", "then", ...) names nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from deskpilot.perception.text import Box, ScreenText, Word, normalize
from deskpilot.perception.widgets import (
    field_beside,
    has_indicator,
    in_list,
    is_caption,
    under_icon,
)

INSTRUCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "then",
        "or",
        "to",
        "into",
        "in",
        "on",
        "of",
        "at",
        "click",
        "double",
        "right",
        "type",
        "press",
        "enter",
        "select",
        "choose",
        "open",
        "check",
        "field",
        "button",
        "box",
    ]
)
OBJECT_MARKERS = frozenset(
    ["click", "double-click", "right-click", "double", "right", "into", "in"]
)
# where a name in a task ends: instruction words, other verbs, fillers, a quoted span ("\0")
PHRASE_STOPS = INSTRUCTION_WORDS | frozenset(
    ["\0", "double-click", "right-click", "doubleclick", "rightclick", "scroll", "drag", "move",
     "hover", "write", "fill", "go", "now", "please", "again", "link", "icon", "menu", "item",
     "option", "label", "tab", "checkbox", "it", "here", "with", "for", "from"]
)  # fmt: skip
_QUOTES = ('"', "\u201c", "\u201d")


def _unquoted_words(task: str) -> list[str]:
    """The task's words as `normalize` compares them, with quoted spans (text to type) left out."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    for char in task:
        if char in _QUOTES:
            if not quoted:
                pieces.append("".join(current))
            current, quoted = [], not quoted
        else:
            current.append(char)
    if not quoted:
        pieces.append("".join(current))
    words: list[str] = []
    for piece in pieces:
        words += [w for w in (normalize(w) for w in piece.split()) if w]
        words.append("\0")  # a quoted span breaks a run: "Save" "as" must not join across it
    return words


def _spans(needle: list[str], haystack: list[str]) -> list[tuple[int, int]]:
    size = len(needle)
    return [
        (i, i + size) for i in range(len(haystack) - size + 1) if haystack[i : i + size] == needle
    ]


def _run_box(words: tuple[Word, ...]) -> Box:
    box = words[0].box
    for word in words[1:]:
        box = box.union(word.box)
    return box


@dataclass(frozen=True)
class Place:
    """A text the task names, where it stands; ``whole``: all of its line (not part of one);
    ``typed_into``: the task only ever names it as where to type ("into Name")."""

    text: str
    box: Box
    whole: bool
    typed_into: bool = False


def _names_an_object(words: list[str], start: int) -> bool:
    """Whether the task's words from ``start`` on stand where a verb's object does ("click
    Open", "into the Find field"), not where the task says what to do ("open the menu")."""
    before = [w for w in words[:start] if w not in ("the", "on")]
    return bool(before) and before[-1] in OBJECT_MARKERS


def _phrase(words: list[str], start: int, end: int) -> range:
    """The task's phrase around the span ``start:end``: the words on either side up to an
    instruction word, a filler word or a quoted span."""
    while start > 0 and words[start - 1] not in PHRASE_STOPS:
        start -= 1
    while end < len(words) and words[end] not in PHRASE_STOPS:
        end += 1
    return range(start, end)


def named_places(text: ScreenText, task: str) -> list[Place]:
    """The places on the screen that ``task`` names (see the module docstring), in reading order:
    whole lines, or the longest run of a line's words that the task says (an engine often reads
    a menu bar or a row of captions as one line). Words that are only punctuation (a field's
    border read as "|") are left out; a text made only of instruction words is named only where
    a verb's object stands ("click Open"); a place the task says only as part of a longer name
    that nothing on the screen completes ("Help" in "click Help videos") is not named."""
    words = _unquoted_words(task)
    found: list[tuple[Place, list[tuple[int, int]]]] = []
    for line in text.lines:
        kept = [(normalize(w.text), w) for w in line.words]
        kept = [(said, word) for said, word in kept if said]
        size = len(kept)
        runs = [(i, i + n) for n in range(size, 0, -1) for i in range(size - n + 1)]
        for start, end in runs:  # longest first
            run = [said for said, _ in kept[start:end]]
            spans = _spans(run, words)
            if set(run) <= INSTRUCTION_WORDS:
                spans = [(s, e) for s, e in spans if _names_an_object(words, s)]
            if spans:
                run_words = tuple(word for _, word in kept[start:end])
                whole = (start, end) == (0, size)
                exact = whole and size == len(line.words)
                box = line.box if exact else _run_box(run_words)
                said = line.text if exact else " ".join(w.text for w in run_words)
                into = all(_typed_into(words, s) for s, _ in spans)
                found.append((Place(said, box, whole, into), spans))
                break

    def covered(place: Place, spans: list[tuple[int, int]]) -> bool:
        """Every time the task says it, it says more (a longer place), or a whole line says the
        same where this is part of a line."""
        return all(
            any(
                a <= s and e <= b and ((b - a) > (e - s) or (other.whole and not place.whole))
                for other, other_spans in found
                for a, b in other_spans
            )
            for s, e in spans
        )

    def partial(place: Place, spans: list[tuple[int, int]]) -> bool:
        """Every time the task says it, its phrase goes on with words that no place beside it on
        the screen says (one name the engine read as two lines is named in both parts)."""
        near = [o for other, o in found if other is place or _adjacent(place.box, other.box)]
        said = {i for o in near for s, e in o for i in range(s, e)}
        return all(not set(_phrase(words, s, e)) <= said for s, e in spans)

    return [p for p, spans in found if not covered(p, spans) and not partial(p, spans)]


def _adjacent(a: Box, b: Box) -> bool:
    """Whether two texts stand next to each other: on one row, at most two text heights apart,
    or one under the other, at most a text height apart, overlapping across."""
    h = max(a.h, b.h)
    if abs(a.center[1] - b.center[1]) <= h // 2:
        return max(a.x, b.x) - min(a.right, b.right) <= 2 * h
    overlap = min(a.right, b.right) > max(a.x, b.x)
    return overlap and max(a.y, b.y) - min(a.bottom, b.bottom) <= h


def _typed_into(words: list[str], start: int) -> bool:
    before = [w for w in words[:start] if w != "the"]
    return bool(before) and (
        before[-1] == "into" or (before[-1] == "in" and bool({"type", "enter"} & set(before)))
    )


@dataclass(frozen=True)
class Target:
    """A place a task can mean: a named text's centre, or the field beside it (capture pixels)."""

    text: str
    point: tuple[int, int]
    field: bool


def named_targets(text: ScreenText, task: str, pixels: np.ndarray[Any, Any]) -> list[Target]:
    """Each named place's centre and, where it is a whole line but not a widget's own caption
    (`is_caption`), the field beside it: "click Name" or "type into Name" means the field that a
    label names. (Part of a line is a menu item or a caption in a row: no field beside it.)"""
    targets = []
    for place in named_places(text, task):
        labels = (place.whole or place.typed_into) and not is_caption(pixels, place.box)
        labels = labels and not has_indicator(pixels, place.box)
        labels = labels and not in_list(pixels, place.box) and not under_icon(pixels, place.box)
        beside = field_beside(pixels, place.box) if labels else None
        if beside is None or not place.typed_into:  # typed into: the field, never its label
            targets.append(Target(place.text, place.box.center, False))
        if beside is not None:
            targets.append(Target(place.text, beside, True))
    return targets
