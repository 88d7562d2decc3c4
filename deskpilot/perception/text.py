"""Screen text: lines and words with boxes in capture pixels, and finding a text among them.

Finding compares normalized text (case folded, surrounding punctuation and repeated spaces dropped):
``find("save")`` matches a line "Save" or the word "Save:" inside "Save: ctrl+s". Ambiguous or
missing text is an error that lists what the screen says, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from deskpilot.errors import ActionFailed

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalize(text: str) -> str:
    """Text as compared: NFKC, case folded, spaces collapsed, punctuation trimmed at the ends."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _EDGE_PUNCTUATION.sub("", " ".join(folded.split()))


@dataclass(frozen=True)
class Box:
    """A rectangle in capture pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def center(self) -> tuple[int, int]:
        """The centre point."""
        return self.x + self.w // 2, self.y + self.h // 2

    @property
    def right(self) -> int:
        """The first column right of the box."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """The first row below the box."""
        return self.y + self.h

    def union(self, other: Box) -> Box:
        """The smallest box holding both."""
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def intersects(self, other: Box) -> bool:
        """Whether the two overlap."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def moved(self, dx: int, dy: int) -> Box:
        """The box shifted by (dx, dy)."""
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True)
class Word:
    """One word of a line."""

    text: str
    box: Box


@dataclass(frozen=True)
class TextLine:
    """One line of text as the engine read it, with its words and the engine's confidence."""

    text: str
    box: Box
    words: tuple[Word, ...]
    score: float = 1.0

    def moved(self, dx: int, dy: int) -> TextLine:
        """The line shifted by (dx, dy) (a line read in a crop, placed on the screen)."""
        words = tuple(Word(w.text, w.box.moved(dx, dy)) for w in self.words)
        return TextLine(self.text, self.box.moved(dx, dy), words, self.score)


@dataclass(frozen=True)
class Match:
    """Where a text was found: its box, and the line it is in."""

    text: str
    box: Box
    line: TextLine


class TextNotFound(ActionFailed):
    """The text is not on the screen, or more than once: the message lists what the screen says."""


def split_words(text: str, box: Box) -> tuple[Word, ...]:
    """Words with boxes placed by their characters' share of the line (for engines that give
    none, or split a word in two): each word spans its characters' columns of the line box."""
    words, total = [], max(len(text), 1)
    for found in re.finditer(r"\S+", text):
        left = box.x + box.w * found.start() // total
        right = box.x + box.w * found.end() // total
        words.append(Word(found.group(), Box(left, box.y, max(1, right - left), box.h)))
    return tuple(words)


@dataclass(frozen=True)
class ScreenText:
    """Everything a screen says, in reading order (top to bottom, left to right)."""

    lines: tuple[TextLine, ...]

    @classmethod
    def of(cls, lines: Iterable[TextLine]) -> ScreenText:
        """Lines sorted into reading order (rows of about a line's height, then left to right)."""
        ordered = sorted(lines, key=lambda ln: (ln.box.y + ln.box.h // 2, ln.box.x))
        return cls(tuple(ordered))

    def matches(self, query: str) -> list[Match]:
        """Every place ``query`` stands: whole lines first, then runs of words inside lines."""
        wanted = normalize(query)
        if not wanted:
            return []
        whole = [Match(ln.text, ln.box, ln) for ln in self.lines if normalize(ln.text) == wanted]
        if whole:
            return whole
        size = len(wanted.split())
        found = []
        for line in self.lines:
            words = line.words
            for start in range(len(words) - size + 1):
                run = words[start : start + size]
                if normalize(" ".join(w.text for w in run)) == wanted:
                    box = run[0].box
                    for word in run[1:]:
                        box = box.union(word.box)
                    found.append(Match(" ".join(w.text for w in run), box, line))
        return found

    def find(self, query: str) -> Match:
        """The one place ``query`` stands.

        Raises:
            TextNotFound: It is not on the screen, or it is there more than once.
        """
        found = self.matches(query)
        if len(found) == 1:
            return found[0]
        if not found:
            raise TextNotFound(f"{query!r} is not on the screen; it says: {self.summary()}")
        where = ", ".join(f"{m.text!r} at {m.box.center}" for m in found)
        raise TextNotFound(f"{query!r} is on the screen {len(found)} times ({where})")

    def summary(self, limit: int = 30) -> str:
        """The lines as one short text, for error messages."""
        texts = [repr(ln.text) for ln in self.lines[:limit]]
        more = f" and {len(self.lines) - limit} more" if len(self.lines) > limit else ""
        return (", ".join(texts) or "nothing readable") + more
