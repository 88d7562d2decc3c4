"""Perception: what a screen says, as text lines and words with their boxes (OCR at native size)."""

from deskpilot.perception.engine import TextEngine, default_engine
from deskpilot.perception.reader import ScreenReader
from deskpilot.perception.text import Box, Match, ScreenText, TextLine, TextNotFound, Word

__all__ = [
    "Box",
    "Match",
    "ScreenReader",
    "ScreenText",
    "TextEngine",
    "TextLine",
    "TextNotFound",
    "Word",
    "default_engine",
]
