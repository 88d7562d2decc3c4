"""Synthetic screens drawn with Pillow, with the exact box of every element.

A screen is a desktop with one or two windows (title bar, close / minimize buttons) holding rows of
widgets: buttons, labelled text fields, check boxes, radio buttons, tabs, a menu bar, a list and icons
with captions; light or dark theme, random accents, font sizes, spacing and background clutter.
Labels are unique within a screen, so "click Save" has exactly one answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from deskpilot.data.desktop import desktop_colour, draw_frame, draw_taskbar
from deskpilot.data.vocab import Vocabulary

Box = tuple[int, int, int, int]
PATCH_PX = 48  # the model's patch side, in the pixels of a screen the processor does not resize
KINDS = ("button", "field", "checkbox", "radio", "tab", "menu", "list_item", "icon")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core and -extra
# The faces by index, named rather than globbed: what face N is must not depend on which font
# packages a machine happens to have (face 1 is Tk's own, the appearance curriculum's first rung).
FACES = ("DejaVuSansCondensed.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf")


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


class _Painter:
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


def _text_box(kind: str, box: Box, width: int) -> Box | None:
    """A field's label is drawn left of its box (``width`` spans both); others inside their box."""
    return (box[2] - width, box[1], box[0], box[3]) if kind == "field" else None


def _window(screen: Screen, painter: _Painter, vocab: Vocabulary, box: Box, used: set[str]) -> None:
    t, rng, draw = painter.theme, painter.rng, painter.draw
    x0, y0, x1, y1 = box
    title = _unique(vocab, used)
    bar = painter.size * 2
    draw.rectangle(box, fill=t.window, outline=t.border)
    draw.rectangle((x0, y0, x1, y0 + bar), fill=t.title)
    painter.text((x0 + 8, y0 + (bar - painter.text_size(title)[1]) // 2 - 1), title, t.title_text)
    screen.texts.add(title.lower())
    for i, mark in enumerate(("x", "_")):  # close, minimize: drawn, not named in tasks
        cx = x1 - (i + 1) * bar
        painter.text((cx + bar // 3, y0 + 2), mark, t.title_text)
    x, y = x0 + 12, y0 + bar + 10

    def strip(kind: str, count: int, gap: int) -> int:
        """A row of one-word items (menu bar, tabs) from (x, y); returns the row's height."""
        left, height = x, 0
        for _ in range(count):
            label = _unique(vocab, used, 1)
            fitted = painter.fits(kind, label, left, y, x1 - 8)
            if fitted is None:
                break
            ebox, w = fitted
            screen.elements.append(
                Element(
                    kind=kind,
                    label=label,
                    box=ebox,
                    window=title,
                    text_box=_text_box(kind, ebox, w),
                    ink=painter.ink,
                )
            )
            left, height = left + w + gap, max(height, ebox[3] - ebox[1])
        return height

    if rng.random() < 0.5:  # a menu bar
        row_h = strip("menu", rng.randint(3, 6), 2)
        draw.line((x0, y + row_h + 2, x1, y + row_h + 2), fill=t.border)
        y += row_h + 10
    if rng.random() < 0.4:  # tabs
        y += strip("tab", rng.randint(2, 5), 0) + 12
    row_h = 0
    list_box: Box | None = None
    if rng.random() < 0.35 and x1 - x0 > 260:  # a list on the right
        lw = (x1 - x0) // 3
        list_box = (x1 - lw - 10, y, x1 - 10, min(y1 - 10, y + 9 * painter.size * 2))
        draw.rectangle(list_box, fill=t.field, outline=t.border)
        ly = list_box[1] + 2
        while ly + painter.size * 2 < list_box[3]:
            label = _unique(vocab, used)
            fitted = painter.fits("list_item", label, list_box[0] + 2, ly, list_box[2] - 2)
            if fitted is None:
                ly += painter.size * 2
                continue
            ebox, _ = fitted
            screen.elements.append(
                Element(kind="list_item", label=label, box=ebox, window=title, ink=painter.ink)
            )
            ly = ebox[3]
        screen.scrollables.append(Element(kind="list", label="list", box=list_box, window=title))
    right = (list_box[0] - 10) if list_box else x1 - 10
    kinds = [k for k in KINDS if k not in ("menu", "tab", "list_item")]
    while True:
        kind = rng.choice(kinds)
        label = _unique(vocab, used)
        fitted = painter.fits(kind, label, x, y, right) if x + 40 < right else None
        if fitted is None or fitted[0][3] > y1 - 6:
            used.discard(label.lower())
            x, y, row_h = x0 + 12, y + row_h + rng.randint(8, 20), 0
            if y + 4 * painter.size > y1 - 8:
                break
            continue
        ebox, w = fitted
        screen.elements.append(
            Element(
                kind=kind,
                label=label,
                box=ebox,
                window=title,
                text_box=_text_box(kind, ebox, w),
                ink=painter.ink,
            )
        )
        x += w + rng.randint(12, 40)
        row_h = max(row_h, ebox[3] - ebox[1])


def _unique(vocab: Vocabulary, used: set[str], max_words: int = 2) -> str:
    label = vocab.label_not_in(used, max_words)
    used.add(label.lower())
    return label


def draw_screen(
    rng: random.Random,
    vocab: Vocabulary,
    size: tuple[int, int] = (1008, 624),
    dark: bool | None = None,
    face: int | None = None,
) -> Screen:
    """One random screen with its elements (``face``: one font face for all of its text, by
    index into the installed sans faces; None: a random one)."""
    dark = rng.random() < 0.3 if dark is None else dark
    theme = make_theme(rng, dark)
    image = Image.new("RGB", size, theme.desktop)
    screen = Screen(image=image, dark=dark)
    font_px = rng.randint(11, 17) if min(size) > 300 else rng.randint(9, 12)
    painter = _Painter(image, theme, rng, font_px, face)
    width, height = size
    for _ in range(rng.randint(0, 6)):  # clutter on the desktop
        x, y = rng.randint(0, width - 40), rng.randint(0, height - 20)
        painter.draw.rectangle(
            (x, y, x + rng.randint(10, 120), y + rng.randint(4, 40)),
            fill=tuple(rng.randint(0, 255) for _ in range(3)),
        )
    used: set[str] = set()
    windows = 1 if rng.random() < 0.7 or width < 700 else 2
    for index in range(windows):
        w = rng.randint(int(width * 0.45), int(width * (0.95 if windows == 1 else 0.55)))
        h = rng.randint(int(height * 0.45), int(height * 0.9))
        x0 = rng.randint(0, width - w) if windows == 1 else (0 if index == 0 else width - w)
        y0 = rng.randint(0, height - h)
        _window(screen, painter, vocab, (x0, y0, x0 + w - 1, y0 + h - 1), used)
    return screen


def draw_form(
    rng: random.Random,
    vocab: Vocabulary,
    size: tuple[int, int] = (1008, 624),
    dark: bool | None = None,
    face: int | None = None,
    font_sizes: tuple[int, int] = (11, 16),
) -> Screen:
    """A simple dialog: a title bar (its own, or a window manager's frame), a line of text (maybe
    centred), one to three labelled fields stacked (some already holding text), one to three
    buttons in a row (from the left, the middle or ending at the right) and maybe a status line
    (the easy end of the curriculum; real forms look like this), its text at ``font_sizes`` pixels
    (inclusive), on a desktop that may have a taskbar (see desktop.py)."""
    dark = rng.random() < 0.3 if dark is None else dark
    theme = make_theme(rng, dark)
    screen = Screen(image=Image.new("RGB", size, desktop_colour(rng, theme.desktop)), dark=dark)
    painter = _Painter(screen.image, theme, rng, rng.randint(*font_sizes), face)
    width, height = size
    used: set[str] = set()
    title, bar = _unique(vocab, used), painter.size * 2
    screen.texts.add(title.lower())
    top, bottom = 0, height  # the desktop a taskbar leaves
    if rng.random() < 0.5:
        panel = draw_taskbar(painter.draw, rng, size, painter.font, title)
        top, bottom = (panel[3], height) if panel[1] == 0 else (0, panel[1])
    framed = rng.random() < 0.5  # a window manager's frame, or the dialog's own title bar
    above = painter.size * 2 + 16 if framed else 0  # room for the frame's title bar and border
    w = rng.randint(min(max(int(width * 0.25), 22 * painter.size), width // 2), int(width * 0.6))
    h = min(rng.randint(int(height * 0.25), int(height * 0.55)), bottom - top - above - 8)
    x0 = rng.randint(4, width - w - 4)
    y0 = rng.randint(top + above + 4, bottom - h - 4)
    if framed:
        draw_frame(painter.draw, rng, (x0, y0, x0 + w, y0 + h), painter.font, title, theme.accent)
        painter.draw.rectangle((x0, y0, x0 + w, y0 + h), fill=theme.window)
        y = y0 + 12
    else:
        painter.draw.rectangle((x0, y0, x0 + w, y0 + h), fill=theme.window, outline=theme.border)
        painter.draw.rectangle((x0, y0, x0 + w, y0 + bar), fill=theme.title)
        painter.text((x0 + 8, y0 + 3), title, theme.title_text)
        y = y0 + bar + 12
    if rng.random() < 0.7:  # a line of plain text, not nameable
        line = " ".join(vocab.word() for _ in range(rng.randint(2, 5)))
        centred = max(x0 + 16, x0 + (w - painter.text_size(line)[0]) // 2)
        painter.text((centred if rng.random() < 0.3 else x0 + 16, y), line)
        screen.texts.update(line.lower().split())
        y += painter.size * 2 + 6
    align = rng.choices(("left", "middle", "right"), (0.55, 0.25, 0.2))[0]
    buttons_at = {"left": x0 + 16, "middle": x0 + w // 2, "right": x0 + w - 16}[align]
    for kind, count in (("field", rng.randint(1, 3)), ("button", rng.randint(1, 3))):
        x = x0 + 16 if kind == "field" else buttons_at
        for _ in range(count):
            for _ in range(3):  # a long label may not fit where a shorter one does
                label = _unique(vocab, used)
                if kind == "button" and align == "right":  # laid out leftwards from the edge
                    x = buttons_at - painter.text_size(label)[0] - 3 * max(4, painter.size // 2)
                fitted = painter.fits(kind, label, x, y, x0 + w - 10)
                if fitted is not None and fitted[0][3] <= y0 + h - 6:
                    break
                used.discard(label.lower())
            else:
                break
            assert fitted is not None
            box, advance = fitted
            screen.elements.append(
                Element(
                    kind=kind,
                    label=label,
                    box=box,
                    window=title,
                    text_box=_text_box(kind, box, advance),
                    ink=painter.ink,
                )
            )
            if kind == "field":
                if rng.random() < 0.3:
                    _fill_field(painter, rng, vocab, box, used, screen.texts)
                y = box[3] + rng.randint(8, 16)
            elif align == "right":
                buttons_at = box[0] - rng.randint(10, 30)
            else:
                x = box[2] + rng.randint(10, 30)
        y += painter.size
    y = max([y] + [e.box[3] + 10 for e in screen.elements])
    if rng.random() < 0.4 and y + painter.size * 2 < y0 + h:  # a status line, not nameable
        line = " ".join(vocab.word() for _ in range(rng.randint(2, 4)))
        painter.text((x0 + 16, y), line)
        screen.texts.update(line.lower().split())
    return screen


def _fill_field(
    painter: _Painter,
    rng: random.Random,
    vocab: Vocabulary,
    box: Box,
    used: set[str],
    texts: set[str],
) -> None:
    """Text already in a field (what was typed there), in words that name nothing on the screen,
    cut to fit."""
    words = [w for w in (vocab.word() for _ in range(rng.randint(1, 3))) if w.lower() not in used]
    if rng.random() < 0.5:
        words = [w.capitalize() for w in words]
    pad = max(4, painter.size // 2)
    while words and painter.text_size(" ".join(words))[0] > box[2] - box[0] - 2 * pad:
        words.pop()
    if words:
        painter.text((box[0] + pad, box[1] + pad - 1), " ".join(words))
        texts.update(w.lower() for w in words)
        used.update(w.lower() for w in words)


def draw_widgets(
    rng: random.Random,
    vocab: Vocabulary,
    size: tuple[int, int] = (1008, 624),
    count: int = 1,
    dark: bool | None = None,
    font_sizes: tuple[int, int] = (11, 16),
    grid_jitter: int | None = None,
    face: int | None = None,
) -> Screen:
    """``count`` widgets of any kind scattered over one window's client area that fills the
    screen (on the window's colour, as in a real dialog, never on the desktop's: labels keep their
    contrast): the easiest rung of the curriculum, where finding *where* the named thing is needs
    no reading when ``count`` is 1.
    ``font_sizes`` (pixels, inclusive) lets a reading curriculum start with large labels;
    ``grid_jitter`` moves each widget so that its label's ink starts at most that many pixels
    right of and below a corner of the model's 48-pixel patch grid (for a 1008x624 screen, which
    the processor does not resize): the rungs of a reading curriculum, 0 up to 48 (anywhere)."""

    def snap(ink: Box) -> tuple[int, int]:
        assert grid_jitter is not None
        column, row = round((ink[0] - 4) / PATCH_PX), round((ink[1] - 4) / PATCH_PX)
        return (
            column * PATCH_PX + 4 + rng.randint(0, grid_jitter) - ink[0],
            row * PATCH_PX + 4 + rng.randint(0, grid_jitter) - ink[1],
        )

    dark = rng.random() < 0.3 if dark is None else dark
    theme = make_theme(rng, dark)
    screen = Screen(image=Image.new("RGB", size, theme.window), dark=dark)
    painter = _Painter(screen.image, theme, rng, rng.randint(*font_sizes), face)
    width, height = size
    used: set[str] = set()
    for _ in range(count * 4):  # a few tries per widget to find a free spot
        if len(screen.elements) == count:
            break
        kind = rng.choice(KINDS)
        try:  # a label is spent only once its widget is placed
            label = vocab.label_not_in(used, 2)
        except ValueError:  # a small vocabulary has no label left for another widget
            break
        x, y = rng.randint(4, width - 60), rng.randint(4, height - 4 * painter.size)
        taken = [e.text_box or e.box for e in screen.elements] + [e.box for e in screen.elements]

        def free(box: Box, advance: int, kind: str = kind, taken: list[Box] = taken) -> bool:
            area = (box[2] - advance if kind == "field" else box[0], box[1], box[2], box[3])
            inside = area[0] >= 0 and area[1] >= 0 and box[3] < height - 4
            return inside and not any(_overlaps(area, o, 12) for o in taken)

        fitted = painter.fits(
            kind, label, x, y, width - 4, free, None if grid_jitter is None else snap
        )
        if fitted is None:
            continue
        box, advance = fitted
        used.add(label.lower())
        screen.elements.append(
            Element(
                kind=kind,
                label=label,
                box=box,
                window="desktop",
                text_box=_text_box(kind, box, advance),
                ink=painter.ink,
            )
        )
    return screen


def _overlaps(a: Box, b: Box, margin: int) -> bool:
    return not (
        a[2] + margin < b[0] or b[2] + margin < a[0] or a[3] + margin < b[1] or b[3] + margin < a[1]
    )
