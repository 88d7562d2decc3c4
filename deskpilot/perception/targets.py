"""Where a task can point: the texts it names on the screen, and the fields beside them.

A task such as ``type "Ada" into Name then click Save`` names two of the screen's texts, "Name"
and "Save". The points a click can mean are each named text's centre and the field beside it
(right of the label, else below it) when the task types. A model that reads the screen's text has its clicks decoded
as one of these points (`deskpilot.runtime.genai`), so it chooses *which* named place to click,
and never invents one; with nothing named, its clicks stay free.

Matching is on whole lines, compared as `normalize` compares them; quoted text (what to type)
names nothing; a line inside a longer named line ("Name" in "Full name") is dropped; lines that
are only instruction words ("click", "then", ...) name nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from deskpilot.perception.text import Box, ScreenText, TextLine, normalize

FIELD_SCAN = 480  # capture pixels scanned right of (or below) a label for its field
BACKGROUND_DIFFERENCE = 40  # summed RGB difference that tells a field's border from the background
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
_QUOTES = ('"', "\u201c", "\u201d")


def field_beside(pixels: np.ndarray[Any, Any], label: Box) -> tuple[int, int] | None:
    """A point inside the field right of ``label`` (else below it), in capture pixels: the first
    run of pixels that differ from the background along the label's middle row (column).

    ``pixels`` is the capture as BGRA (or BGR) rows, as `deskpilot.screen.Frame` holds it."""
    rgb = pixels[..., 2::-1].astype(np.int32)
    height, width = rgb.shape[:2]
    cx, cy = label.center
    if not (0 <= cx < width and 0 <= cy < height):
        return None
    scans = [
        (rgb[cy, label.right + 2 : min(width, label.right + FIELD_SCAN)], label.right + 2, True),
        (
            rgb[label.bottom + 2 : min(height, label.bottom + FIELD_SCAN), cx],
            label.bottom + 2,
            False,
        ),
    ]
    for run, start, across in scans:
        if len(run) < 8:
            continue
        differs = np.abs(run - run[0]).sum(axis=1) > BACKGROUND_DIFFERENCE
        edges = np.flatnonzero(differs)
        if edges.size == 0:
            continue
        first = end = int(edges[0])
        while end < len(run) and differs[end : end + 8].any():  # to 8 background pixels in a row
            end += 1
        offset = first + max(2, min(30, (end - first) // 2))
        return (start + offset, cy) if across else (cx, start + offset)
    return None


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


def named_lines(text: ScreenText, task: str) -> list[TextLine]:
    """The screen's lines that ``task`` names (see the module docstring), in reading order."""
    words = _unquoted_words(task)
    found: list[tuple[TextLine, list[tuple[int, int]]]] = []
    for line in text.lines:
        line_words = [w for w in (normalize(w) for w in line.text.split()) if w]
        if not line_words or set(line_words) <= INSTRUCTION_WORDS:
            continue
        spans = _spans(line_words, words)
        if spans:
            found.append((line, spans))

    def inside_longer(spans: list[tuple[int, int]]) -> bool:
        return all(
            any(a <= s and e <= b and (b - a) > (e - s) for _, other in found for a, b in other)
            for s, e in spans
        )

    return [line for line, spans in found if not inside_longer(spans)]


@dataclass(frozen=True)
class Target:
    """A place a task can mean: a named text's centre, or the field beside it (capture pixels)."""

    text: str
    point: tuple[int, int]
    field: bool


def asks_to_type(task: str) -> bool:
    """Whether the task types something (it quotes text, or says "into"): only then is the field
    beside a named label a place it can mean (beside a button's caption lies another button)."""
    return any(q in task for q in _QUOTES) or "into" in _unquoted_words(task)


def named_targets(text: ScreenText, task: str, pixels: np.ndarray[Any, Any]) -> list[Target]:
    """Each named line's centre and, when the task types (`asks_to_type`), the field beside it."""
    targets = []
    fields = asks_to_type(task)
    for line in named_lines(text, task):
        targets.append(Target(line.text, line.box.center, False))
        beside = field_beside(pixels, line.box) if fields else None
        if beside is not None:
            targets.append(Target(line.text, beside, True))
    return targets
