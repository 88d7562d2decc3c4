"""OCR engines behind one small interface: an RGB array in, text lines with word boxes out.

The default is RapidOCRLite (the ``ocr`` extra: ``pip install 'deskpilot[ocr]'``): PP-OCRv6 "lite"
detection and recognition run by a native engine, with the weights inside the wheel (nothing is
downloaded), on one thread. Engines read the capture at native resolution, never a downscaled copy:
a screen larger than the pipeline reads whole (a 4K monitor at 100%) is read in overlapping pieces.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from deskpilot.errors import UsageError
from deskpilot.perception.text import Box, TextLine, Word, split_words

# The lite pipeline scales its input to a long side of about 1024 px: a small crop would be blown up
# and misread ("Saved!" -> "Sa", "ed"). Smaller images are set on a canvas of this size, filled with
# their border's colour (at the top left, so boxes need no shift).
MIN_CANVAS = (640, 160)
# The pipeline shrinks a large input before it reads it: on a 3840x2160 screen it read 0-5 of 18
# words drawn at 12 px, where at 2560x1600 and below it read 16-18 (benchmarks/bench_screen_text.py).
# Larger screens are read in pieces of about PIECE, neighbours sharing OVERLAP pixels, so that a
# line cut at one piece's inner edge is whole in the next (lines longer than that come back cut).
WHOLE = (2560, 1600)
PIECE = (1920, 1200)
OVERLAP = 320
EDGE = 3  # a line this near a piece's inner edge is taken as cut there
OCR_EXTRA = "pip install 'deskpilot[ocr]' (the rapidocrlite wheel, which carries its models)"


class TextEngine(Protocol):
    """Reads the text of an image."""

    name: str

    def read(self, rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> list[TextLine]:
        """The text lines of an H x W x 3 RGB image, boxes in its pixels."""
        ...


def _box(quad: Any) -> Box:
    points = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    return Box(int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0)))


class RapidLiteEngine:
    """RapidOCRLite's native PP-OCRv6 lite pipeline (no angle classifier: it flips short words)."""

    name = "rapidocrlite"

    def __init__(self, *, min_score: float = 0.5, threads: int = 1) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise UsageError(f"screen text needs an OCR engine: {OCR_EXTRA} ({exc})") from None
        params = {
            "Det.model_type": "lite",
            "Rec.model_type": "lite",
            "Global.use_cls": False,
            "Global.return_word_box": True,
            "Global.text_score": min_score,
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
        try:
            self._ocr = RapidOCR(params=params)
        except Exception as exc:  # a wheel without its models, or another "rapidocr" package
            raise UsageError(f"the OCR engine cannot start: {exc}; {OCR_EXTRA}") from None

    def read(self, rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> list[TextLine]:
        """The text lines of ``rgb``; words from the engine where they spell the line."""
        height, width = rgb.shape[:2]
        if height < 8 or width < 8:
            return []
        if width <= WHOLE[0] and height <= WHOLE[1]:
            return self._read_whole(rgb)
        pieces = [
            (
                box,
                [
                    ln.moved(box.x, box.y)
                    for ln in self._read_whole(rgb[box.y : box.bottom, box.x : box.right])
                ],
            )
            for box in pieces_of(width, height)
        ]
        return merge_pieces(pieces, width, height)

    def _read_whole(self, rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> list[TextLine]:
        out = self._ocr(_on_canvas(np.ascontiguousarray(rgb)))
        if out.boxes is None or out.txts is None or out.scores is None:
            return []
        word_results = out.word_results or ()
        lines = []
        for index, (quad, text, score) in enumerate(
            zip(out.boxes, out.txts, out.scores, strict=True)
        ):
            text = " ".join(str(text).split())
            if not text:
                continue
            box = _box(quad)
            engine_words = word_results[index] if index < len(word_results) else ()
            words = tuple(
                Word(" ".join(str(w[0]).split()), _box(w[2]))
                for w in engine_words
                if w[2] is not None and str(w[0]).strip()
            )
            if " ".join(w.text for w in words) != text:  # split or glued words: by characters
                words = split_words(text, box)
            lines.append(TextLine(text, box, words, float(score)))
        return lines


def _side(length: int, piece: int) -> tuple[list[int], int]:
    """Where the pieces along one side start, and their size: ``length / piece`` of them,
    rounded up, each ``OVERLAP`` larger than that share so that neighbours share it."""
    count = max(1, math.ceil(length / piece))
    if count == 1:
        return [0], length
    size = math.ceil((length + (count - 1) * OVERLAP) / count)
    return [round(i * (length - size) / (count - 1)) for i in range(count)], size


def pieces_of(width: int, height: int) -> list[Box]:
    """The overlapping pieces a ``width`` x ``height`` screen is read in (one, when it is small)."""
    (xs, w), (ys, h) = _side(width, PIECE[0]), _side(height, PIECE[1])
    return [Box(x, y, min(w, width - x), min(h, height - y)) for y in ys for x in xs]


def _cut(line: Box, piece: Box, width: int, height: int) -> bool:
    """Whether ``line`` touches an edge of ``piece`` that is inside the screen (where it may have
    been cut)."""
    return (
        (piece.x > 0 and line.x <= piece.x + EDGE)
        or (piece.right < width and line.right >= piece.right - EDGE)
        or (piece.y > 0 and line.y <= piece.y + EDGE)
        or (piece.bottom < height and line.bottom >= piece.bottom - EDGE)
    )


def _covered(box: Box, by: Box) -> float:
    """The share of ``box``'s area inside ``by``."""
    w = min(box.right, by.right) - max(box.x, by.x)
    h = min(box.bottom, by.bottom) - max(box.y, by.y)
    return max(0, w) * max(0, h) / max(1, box.w * box.h)


def merge_pieces(
    pieces: list[tuple[Box, list[TextLine]]], width: int, height: int
) -> list[TextLine]:
    """One screen's lines from its pieces' (in screen pixels): each line once, whole where a piece
    read it whole; a line read only cut (longer than the overlap) is kept as read."""
    found = [(_cut(ln.box, piece, width, height), ln) for piece, lines in pieces for ln in lines]
    found.sort(key=lambda item: (item[0], -item[1].box.w * item[1].box.h))  # whole, longest first
    kept: list[TextLine] = []
    for _, line in found:
        if all(_covered(line.box, other.box) <= 0.5 for other in kept):
            kept.append(line)
    return kept


def _on_canvas(rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    height, width = rgb.shape[:2]
    if width >= MIN_CANVAS[0] and height >= MIN_CANVAS[1]:
        return rgb
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    canvas = np.empty((max(height, MIN_CANVAS[1]), max(width, MIN_CANVAS[0]), 3), np.uint8)
    canvas[:] = np.median(border, axis=0).astype(np.uint8)
    canvas[:height, :width] = rgb
    return canvas


def default_engine() -> TextEngine:
    """The engine deskpilot reads screens with.

    Raises:
        UsageError: No OCR engine is installed (the message says what to install).
    """
    return RapidLiteEngine()
