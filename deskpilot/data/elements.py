"""What a synthetic screen is: its image and the exact box of every element an instruction can name.

Labels are unique within a screen, so "click Save" has exactly one answer (`unique_label`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from deskpilot.data.vocab import Vocabulary

Box = tuple[int, int, int, int]
KINDS = ("button", "field", "checkbox", "radio", "tab", "menu", "list_item", "icon")


@dataclass(frozen=True, kw_only=True)
class Element:
    """One thing on the screen that an instruction can name."""

    kind: str
    label: str
    box: Box  # x0, y0, x1, y1 in pixels: the area a click must land in
    window: str
    text_box: Box | None = None  # where the label is drawn, when it is not inside ``box``
    ink: Box | None = None  # the label's own text, tightly (what a patch must read), when known


@dataclass(kw_only=True)
class Screen:
    """A drawn screen and its ground truth."""

    image: Image.Image
    elements: list[Element] = field(default_factory=list)
    dark: bool = False
    scrollables: list[Element] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)  # other text drawn (titles, lines), lower case


def unique_label(vocab: Vocabulary, used: set[str], max_words: int = 2) -> str:
    """A label from ``vocab`` not in ``used`` (lower case), added to it."""
    label = vocab.label_not_in(used, max_words)
    used.add(label.lower())
    return label
