"""What the pixels around a text on the screen say: the field a label names (right of it, else
below it), and the widget a text is a caption of (a button, a check box or radio, a list's item,
an icon), which names no field beside it.

Heuristics on the capture's pixels (BGRA rows, as `deskpilot.screen.Frame` holds them), checked
on the eval's synthetic screens, real Tk windows and real Tk dialogs (`deskpilot.perception.targets`
uses them for the places a task names; the text-match baseline for the field it types into).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deskpilot.perception.text import Box

FIELD_SCAN = 480  # capture pixels scanned right of (or below) a label for its field
FIELD_GAP = 200  # capture pixels between a label and its field, at most (grid columns align fields)
FIELD_MIDDLE = 120  # at most this far into a field (its middle, where a model learns to click)
FIELD_BORDER_MARGIN = 4  # a field's side is at least this much taller than its label's text
FIELD_BORDER_MAX = 4  # a field's border is at most this thick (capture pixels)
FIELD_MIN_WIDTH = 40  # capture pixels: the top of a field below its label is at least this wide
BACKGROUND_DIFFERENCE = 40  # summed RGB difference that tells a field's border from the background


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


LIST_REACH = 8  # capture pixels from an item's text to the side of the list box it stands in
LIST_ROWS = 3  # a list box's side is at least this many of its items' text heights tall
ICON_REACH = 14  # capture pixels from a caption to the icon above it
ICON_SIDE = 20  # capture pixels: an icon is at least this wide and tall, and about square


def in_list(pixels: np.ndarray[Any, Any], box: Box) -> bool:
    """Whether the text in ``box`` is an item in a list box: the list's side (a line `LIST_ROWS`
    text heights tall or more; a button's side is shorter) at most `LIST_REACH` left of it. It
    names the item, not a field beside it."""
    rgb = pixels[..., 2::-1].astype(np.int32)
    height, width = rgb.shape[:2]
    cy = box.center[1]
    if not (LIST_REACH <= box.x < width and 0 <= cy < height):
        return False
    background = rgb[cy, box.x - 1]
    row = rgb[cy, box.x - LIST_REACH : box.x][::-1]
    for offset in np.flatnonzero(np.abs(row - background).sum(axis=1) > BACKGROUND_DIFFERENCE):
        column = rgb[:, box.x - 1 - int(offset)]
        tall = _reach(column[cy::-1], background) + _reach(column[cy:], background) - 1
        if tall >= LIST_ROWS * box.h:
            return True
    return False


def under_icon(pixels: np.ndarray[Any, Any], box: Box) -> bool:
    """Whether the text in ``box`` is an icon's caption: a filled, about square block at least
    `ICON_SIDE` wide and tall at most `ICON_REACH` above it (a field in the row above is far
    wider than it is tall). It names the icon, not a field beside it."""
    rgb = pixels[..., 2::-1].astype(np.int32)
    height, width = rgb.shape[:2]
    cx = box.center[0]
    if not (ICON_REACH <= box.y < height and 0 <= cx < width):
        return False
    background = rgb[box.y - 1, cx]
    above = rgb[box.y - ICON_REACH : box.y, cx][::-1]
    edges = np.flatnonzero(np.abs(above - background).sum(axis=1) > BACKGROUND_DIFFERENCE)
    if edges.size == 0:
        return False
    bottom = box.y - 1 - int(edges[0])  # the block's bottom row
    block = rgb[bottom, cx]
    changes = np.abs(rgb[bottom::-1, cx] - block).sum(axis=1) > BACKGROUND_DIFFERENCE
    tall = int(np.argmax(changes)) if changes.any() else bottom + 1
    inside = np.abs(rgb[bottom] - block).sum(axis=1) <= BACKGROUND_DIFFERENCE
    left = np.flatnonzero(~inside[: cx + 1][::-1])
    right = np.flatnonzero(~inside[cx:])
    wide = (
        (int(left[0]) if left.size else cx + 1) + (int(right[0]) if right.size else width - cx) - 1
    )
    return tall >= ICON_SIDE and ICON_SIDE <= wide <= 1.5 * tall
