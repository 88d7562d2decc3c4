"""OCR engines behind one small interface: an RGB array in, text lines with word boxes out.

The default is RapidOCRLite (the ``ocr`` extra: ``pip install 'deskpilot[ocr]'``): PP-OCRv6 "lite"
detection and recognition run by a native engine, with the weights inside the wheel (nothing is
downloaded), on one thread. Engines read the capture at native resolution, never a downscaled copy.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from deskpilot.errors import UsageError
from deskpilot.perception.text import Box, TextLine, Word, split_words

# The lite pipeline scales its input to a long side of about 1024 px: a small crop would be blown up
# and misread ("Saved!" -> "Sa", "ed"). Smaller images are set on a canvas of this size, filled with
# their border's colour (at the top left, so boxes need no shift).
MIN_CANVAS = (640, 160)
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
        if rgb.shape[0] < 8 or rgb.shape[1] < 8:
            return []
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
