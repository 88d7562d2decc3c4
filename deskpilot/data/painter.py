"""How the synthetic screens are drawn: fonts, a screen's colours (`Theme`) and the `Painter` that
draws one widget (button, field, check box, radio button, tab, menu or list item, icon) and measures
it first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from deskpilot.data.elements import Box

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core and -extra
# The faces by index, named rather than globbed: what face N is must not depend on which font
# packages a machine happens to have (face 1 is Tk's own, the appearance curriculum's first rung).
FACES = ("DejaVuSansCondensed.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf")


def _font_file(index: int) -> str:
    """Face ``index``'s file; DejaVu Sans where that face is not installed, "" where none is."""
    for name in (FACES[index % len(FACES)], FACES[1]):
        if (FONT_DIR / name).is_file():
            return str(FONT_DIR / name)
    return ""


@cache
def font(size: int, index: int = 0) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A sans font of ``size`` px (Pillow's built-in font when no system font is installed)."""
    path = _font_file(index)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


@dataclass(frozen=True)
class Theme:
    """Colours of one screen."""

    desktop: tuple[int, int, int]
    window: tuple[int, int, int]
    title: tuple[int, int, int]
    title_text: tuple[int, int, int]
    text: tuple[int, int, int]
    control: tuple[int, int, int]
    border: tuple[int, int, int]
    field: tuple[int, int, int]
    accent: tuple[int, int, int]


def make_theme(rng: random.Random, dark: bool) -> Theme:
    """Random colours, light or dark."""
    accent = (rng.randint(20, 200), rng.randint(60, 200), rng.randint(120, 240))
    if dark:
        base = rng.randint(28, 52)
        return Theme(
            (rng.randint(0, 40),) * 3,
            (base,) * 3,
            accent,
            (240, 240, 240),
            (225, 225, 225),
            (base + 25,) * 3,
            (base + 60,) * 3,
            (base - 12,) * 3,
            accent,
        )
    base = rng.randint(225, 245)
    return Theme(
        (rng.randint(40, 120), rng.randint(60, 140), rng.randint(90, 170)),
        (base,) * 3,
        accent,
        (255, 255, 255),
        (20, 20, 20),
        (base - 18,) * 3,
        (120, 120, 120),
        (255, 255, 255),
        accent,
    )


class Painter:
    def __init__(
        self,
        image: Image.Image,
        theme: Theme,
        rng: random.Random,
        size: int,
        face: int | None = None,
    ) -> None:
        self.canvas = ImageDraw.Draw(image)
        self.scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        self.draw = self.canvas
        self.theme, self.rng, self.size = theme, rng, size
        self.font = font(size, rng.randint(0, 7) if face is None else face)
        self.texts: list[tuple[tuple[int, int], str]] = []  # what text() drew, where
        self.ink: Box | None = None  # the label's text box in the widget fits() drew last

    def text_size(self, text: str) -> tuple[int, int]:
        x0, y0, x1, y1 = self.draw.textbbox((0, 0), text, font=self.font)
        return int(x1 - x0), int(y1 - y0)

    def text(
        self, xy: tuple[int, int], text: str, fill: tuple[int, int, int] | None = None
    ) -> None:
        self.draw.text(xy, text, font=self.font, fill=fill or self.theme.text)
        self.texts.append((xy, text))

    def fits(
        self,
        kind: str,
        label: str,
        x: int,
        y: int,
        right: int,
        free: Callable[[Box, int], bool] | None = None,
        snap: Callable[[Box], tuple[int, int]] | None = None,
    ) -> tuple[Box, int] | None:
        """Draw the widget only if it fits left of ``right`` and ``free(box, width)`` agrees
        (measured first, with the same randomness); ``snap(label ink box)`` moves the widget by
        the (dx, dy) it returns before that check."""
        seed = self.rng.random()
        self.draw, self.rng, self.texts = self.scratch, random.Random(seed), []
        box, width = self.widget(kind, label, x, y)
        ink = [
            self.draw.textbbox(at, text, font=self.font) for at, text in self.texts if text == label
        ]
        self.draw, outer = self.canvas, self.rng
        if snap is not None and ink:
            x0, y0, x1, y1 = (int(v) for v in ink[0])
            dx, dy = snap((x0, y0, x1, y1))
            x, y, box = x + dx, y + dy, (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
        if box[2] > right or (free is not None and not free(box, width)):
            return None
        self.rng, self.texts = random.Random(seed), []
        result = self.widget(kind, label, x, y)
        self.rng = random.Random(outer.random())
        drawn = [
            self.draw.textbbox(at, text, font=self.font) for at, text in self.texts if text == label
        ]
        self.ink = tuple(int(v) for v in drawn[0]) if drawn else None  # type: ignore[assignment]
        return result if result[1] == width else None

    def widget(self, kind: str, label: str, x: int, y: int) -> tuple[Box, int]:
        """Draw one widget at (x, y); return its clickable box and its width."""
        t, pad = self.theme, max(4, self.size // 2)
        tw, th = self.text_size(label)
        h = th + 2 * pad
        if kind in ("button", "tab"):
            w = tw + 3 * pad
            fill = t.accent if kind == "button" and self.rng.random() < 0.3 else t.control
            self.draw.rounded_rectangle(
                (x, y, x + w, y + h), radius=pad // 2, fill=fill, outline=t.border
            )
            self.text(
                (x + (w - tw) // 2, y + pad - 1),
                label,
                (255, 255, 255) if fill == t.accent else None,
            )
            return (x, y, x + w, y + h), w
        if kind == "field":
            self.text((x, y + pad - 1), label)
            fx, fw = x + tw + pad, self.rng.randint(8, 16) * self.size
            self.draw.rectangle((fx, y, fx + fw, y + h), fill=t.field, outline=t.border)
            return (fx, y, fx + fw, y + h), tw + pad + fw
        if kind in ("checkbox", "radio"):
            s = th + 2
            box = (x, y + pad - 1, x + s, y + pad - 1 + s)
            if kind == "checkbox":
                self.draw.rectangle(box, fill=t.field, outline=t.border)
            else:
                self.draw.ellipse(box, fill=t.field, outline=t.border)
            if self.rng.random() < 0.4:
                inset = s // 4
                self.draw.rectangle(
                    (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset), fill=t.accent
                )
            self.text((x + s + pad, y + pad - 1), label)
            return (x, y, x + s + pad + tw, y + h), s + pad + tw
        if kind == "icon":
            s = 3 * self.size
            w = max(s, tw)
            ix = x + (w - s) // 2
            colour = tuple(self.rng.randint(60, 230) for _ in range(3))
            self.draw.rounded_rectangle((ix, y, ix + s, y + s), radius=self.size // 3, fill=colour)
            self.text((x + (w - tw) // 2, y + s + 2), label)
            return (x, y, x + w, y + s + th + 6), w
        # menu and list items: plain text in a strip
        w = tw + 2 * pad
        self.text((x + pad, y + pad - 1), label)
        return (x, y, x + w, y + h), w


def text_box(kind: str, box: Box, width: int) -> Box | None:
    """A field's label is drawn left of its box (``width`` spans both); others inside their box."""
    return (box[2] - width, box[1], box[0], box[3]) if kind == "field" else None
