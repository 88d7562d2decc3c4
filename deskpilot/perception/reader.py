"""Reading a screen's text step after step: only what changed since the last frame is read again.

The reader keeps the last frame and its lines. On the next frame it finds the rectangle that changed,
grows it to take in every line it touches (so a line is always read whole), reads that crop, and
keeps the lines outside it. A frame of another size, or a change over most of the screen, is read
whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deskpilot.perception.engine import TextEngine
from deskpilot.perception.text import Box, ScreenText, TextLine
from deskpilot.screen import Frame

MARGIN = 12  # capture pixels around a change that are read with it
WHOLE_SCREEN_SHARE = 0.5  # a change over more of the screen than this: read it all


def _changed_box(before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]) -> Box | None:
    """The rectangle where two BGRA frames differ (whole pixels compared as 32-bit words)."""
    as_words = (np.ascontiguousarray(p).view(np.uint32)[..., 0] for p in (before, after))
    diff = np.not_equal(*as_words)
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    if rows.size == 0:
        return None
    return Box(int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


@dataclass
class ReadStats:
    """What the last read did: the share of the screen read again, and how long it took."""

    area_read: float = 0.0
    ms: float = 0.0


@dataclass
class ScreenReader:
    """Reads frames with ``engine``, re-reading only what changed."""

    engine: TextEngine
    stats: ReadStats = field(default_factory=ReadStats)
    _pixels: np.ndarray[Any, Any] | None = None
    _lines: list[TextLine] = field(default_factory=list)

    def read(self, frame: Frame) -> ScreenText:
        """The text of ``frame`` (boxes in capture pixels)."""
        started = time.perf_counter()
        pixels = frame.pixels
        height, width = pixels.shape[:2]
        region: Box | None = Box(0, 0, width, height)
        same_size = self._pixels is not None and self._pixels.shape == pixels.shape
        if same_size:
            assert self._pixels is not None
            region = _changed_box(self._pixels, pixels)
        if region is None:
            self.stats = ReadStats(0.0, (time.perf_counter() - started) * 1000)
            return ScreenText.of(self._lines)
        region = self._grow(region, width, height)
        if region.w * region.h > WHOLE_SCREEN_SHARE * width * height:
            region = Box(0, 0, width, height)
        # a screen of another size is another screen: nothing of the last one is kept
        kept = [ln for ln in self._lines if not ln.box.intersects(region)] if same_size else []
        crop = pixels[region.y : region.bottom, region.x : region.right, 2::-1]  # BGRA -> RGB
        fresh = [ln.moved(region.x, region.y) for ln in self.engine.read(crop)]
        self._pixels, self._lines = pixels.copy(), kept + fresh
        self.stats = ReadStats(
            region.w * region.h / (width * height), (time.perf_counter() - started) * 1000
        )
        return ScreenText.of(self._lines)

    def _grow(self, region: Box, width: int, height: int) -> Box:
        """The region with a margin, grown until no known line crosses its edge."""
        x0, y0 = max(0, region.x - MARGIN), max(0, region.y - MARGIN)
        grown = Box(
            x0, y0, min(width, region.right + MARGIN) - x0, min(height, region.bottom + MARGIN) - y0
        )
        while True:
            touching = [ln.box for ln in self._lines if ln.box.intersects(grown)]
            bigger = grown
            for box in touching:
                bigger = bigger.union(box)
            if bigger == grown:
                return grown
            grown = bigger


AROUND_POINT = (240, 40)  # half width and half height of the band read around a point


def text_at(engine: TextEngine, frame: Frame, x: int, y: int) -> str | None:
    """The text line under capture pixel (x, y) (a button's caption, a menu item), or None: only
    a band around the point is read."""
    height, width = frame.pixels.shape[:2]
    left, top = max(0, x - AROUND_POINT[0]), max(0, y - AROUND_POINT[1])
    right, bottom = min(width, x + AROUND_POINT[0]), min(height, y + AROUND_POINT[1])
    crop = frame.pixels[top:bottom, left:right, 2::-1]
    point = Box(x - left - 3, y - top - 3, 7, 7)
    hits = [line for line in engine.read(crop) if line.box.intersects(point)]
    return hits[0].text if len(hits) == 1 else None
