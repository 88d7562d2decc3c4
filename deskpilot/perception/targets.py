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

FIELD_SCAN = 480  # capture pixels scanned right of (or below) a label for its field
FIELD_GAP = 200  # capture pixels between a label and its field, at most (grid columns align fields)
FIELD_MIDDLE = 120  # at most this far into a field (its middle, where a model learns to click)
FIELD_BORDER_MARGIN = 4  # a field's side is at least this much taller than its label's text
FIELD_BORDER_MAX = 4  # a field's border is at most this thick (capture pixels)
FIELD_MIN_WIDTH = 40  # capture pixels: the top of a field below its label is at least this wide
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


def field_beside(pixels: np.ndarray[Any, Any], label: Box) -> tuple[int, int] | None:
    """A point inside the field right of ``label`` (else below it), in capture pixels: the middle
    of the first run of pixels that differ from the background along the label's middle row
    (column), at most `FIELD_MIDDLE` into it. The run starts within `FIELD_GAP` of the label and
    ends inside the scan (a field, not the edge of a window or the rest of the screen).

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
        if first > FIELD_GAP:
            continue
        if not _is_border(rgb, start + first, cy if across else cx, across, label, run[0]):
            continue  # text or a small mark beside the label, not the edge of a box
        while end < len(run) and differs[end : end + 8].any():  # to 8 background pixels in a row
            end += 1
        if end >= len(run):  # never back to the background: a window's edge, not a field
            continue
        offset = first + max(2, min(FIELD_MIDDLE, (end - first) // 2))  # the field's middle
        return (start + offset, cy) if across else (cx, start + offset)
    return None


def _reach(line: np.ndarray[Any, Any], background: np.ndarray[Any, Any]) -> int:
    """How many pixels at the start of ``line`` differ from the background without a break."""
    differs = np.abs(line - background).sum(axis=1) > BACKGROUND_DIFFERENCE
    breaks = np.flatnonzero(~differs)
    return int(breaks[0]) if breaks.size else len(differs)


def _is_border(
    rgb: np.ndarray[Any, Any],
    edge: int,
    middle: int,
    across: bool,
    label: Box,
    background: np.ndarray[Any, Any],
) -> bool:
    """Whether the first pixel that differs beside a label (column ``edge`` on row ``middle``,
    ``across``; else row ``edge`` on column ``middle``) lies on a box's edge: a line taller than
    the label's text (across) or at least `FIELD_MIN_WIDTH` wide (below), and either thin (the
    colour changes within `FIELD_BORDER_MAX` pixels inwards) or the side of a flat box at least
    twice as wide as it is high. The first column of a neighbouring word, the top of a caption's
    letters or a filled icon is none of these."""
    line = rgb[:, edge] if across else rgb[edge, :]
    length = _reach(line[middle::-1], background) + _reach(line[middle:], background) - 1
    if length < (label.h + FIELD_BORDER_MARGIN if across else FIELD_MIN_WIDTH):
        return False
    along = rgb[middle, edge:] if across else rgb[edge:, middle]
    changes = np.flatnonzero(np.abs(along - along[0]).sum(axis=1) > BACKGROUND_DIFFERENCE)
    filled = int(changes[0]) if changes.size else len(along)  # the edge's colour, inwards
    if filled <= FIELD_BORDER_MAX:
        return True  # a border
    return filled >= 2 * length if across else 2 * filled <= length  # a flat box, twice as wide


CAPTION_MARGIN_X = 100  # capture pixels from a caption to its widget's side borders, at most
CAPTION_MARGIN_Y = 16  # ... and to its top and bottom borders
CAPTION_SLACK = 6  # how unevenly (pixels) a centred caption may sit in its widget ...
CAPTION_SLACK_SHARE = 0.25  # ... or, across a wide one, this share of the mean distance


def _edge_distance(run: np.ndarray[Any, Any]) -> int | None:
    """How far along ``run`` (RGB pixels going away from a text) the colour first changes."""
    differs = np.flatnonzero(np.abs(run - run[0]).sum(axis=1) > BACKGROUND_DIFFERENCE)
    return int(differs[0]) if differs.size else None


def is_caption(pixels: np.ndarray[Any, Any], box: Box) -> bool:
    """Whether the text in ``box`` is a caption centred inside a widget of its own (a button):
    a border at about the same distance left and right of it, and above and below."""
    rgb = pixels[..., 2::-1].astype(np.int32)
    height, width = rgb.shape[:2]
    cx, cy = box.center
    if not (box.x >= 1 and box.y >= 1 and box.right < width and box.bottom < height):
        return False
    mx, my = CAPTION_MARGIN_X, CAPTION_MARGIN_Y
    runs = (
        rgb[cy, box.x - 1 : max(0, box.x - 1 - mx) : -1] if box.x > 1 else rgb[cy, :0],
        rgb[cy, box.right : min(width, box.right + mx)],
        rgb[box.y - 1 : max(0, box.y - 1 - my) : -1, cx] if box.y > 1 else rgb[:0, cx],
        rgb[box.bottom : min(height, box.bottom + my), cx],
    )
    if any(len(run) < 2 for run in runs):
        return False
    left, right, up, down = (_edge_distance(run) for run in runs)
    if left is None or right is None or up is None or down is None:
        return False
    across = max(CAPTION_SLACK, CAPTION_SLACK_SHARE * (left + right) / 2)
    return abs(left - right) <= across and abs(up - down) <= CAPTION_SLACK


INDICATOR_REACH = 30  # capture pixels left of a caption searched for its check box or radio
INDICATOR_SIZE = (7, 22)  # a check box's or radio's side, smallest and largest (capture pixels)
INDICATOR_MARGIN = 6  # clear capture pixels left of a check box or radio
INDICATOR_GAP = 3  # a mark and its caption are more than this many capture pixels apart


def has_indicator(pixels: np.ndarray[Any, Any], box: Box) -> bool:
    """Whether the text in ``box`` is a check box's or radio button's caption: a small closed
    mark, about square, with clear space left of it and a gap before the text, just left of
    the text or at the start of its box (an engine's box often takes the mark in). The caption
    names the mark: no field beside it."""
    rgb = pixels[..., 2::-1].astype(np.int32)
    height, width = rgb.shape[:2]
    cy = box.center[1]
    half = INDICATOR_SIZE[1] // 2 + 2
    left, top = box.x - INDICATOR_REACH, cy - half
    if left < 0 or top < 0 or cy + half >= height or box.x + INDICATOR_REACH > width:
        return False
    window = rgb[top : cy + half + 1, left : box.x + INDICATOR_REACH]
    background = np.median(window[0], axis=0)
    marked = np.abs(window - background).sum(axis=2) > BACKGROUND_DIFFERENCE
    cols = np.flatnonzero(marked.any(axis=0))
    if cols.size == 0 or cols[0] < INDICATOR_MARGIN:
        return False  # nothing there, or no clear space left of the first thing
    gaps = np.flatnonzero(np.diff(cols) > INDICATOR_GAP)
    if gaps.size == 0:
        return False  # one thing only: the text itself
    first, last = int(cols[0]), int(cols[gaps[0]])
    rows = np.flatnonzero(marked[:, first : last + 1].any(axis=1))
    if rows[0] == 0 or rows[-1] == marked.shape[0] - 1:
        return False  # taller than a mark
    wide, tall = last - first + 1, int(rows[-1] - rows[0]) + 1
    small, large = INDICATOR_SIZE
    return small <= wide <= large and small <= tall <= large and abs(wide - tall) <= 4


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
        beside = field_beside(pixels, place.box) if labels else None
        if beside is None or not place.typed_into:  # typed into: the field, never its label
            targets.append(Target(place.text, place.box.center, False))
        if beside is not None:
            targets.append(Target(place.text, beside, True))
    return targets
