"""Synthetic screens drawn with Pillow, with the exact box of every element.

A screen is a desktop with one or two windows (title bar, close / minimize buttons) holding rows of
widgets: buttons, labelled text fields, check boxes, radio buttons, tabs, a menu bar, a list and icons
with captions; light or dark theme, random accents, font sizes, spacing and background clutter.
Labels are unique within a screen, so "click Save" has exactly one answer. Simple dialogs are in
forms.py, widgets scattered over one window in widgets.py; what a screen holds is in elements.py.
"""

from __future__ import annotations

import random

from PIL import Image

from deskpilot.data.elements import KINDS, Box, Element, Screen, unique_label
from deskpilot.data.painter import Painter, make_theme, text_box
from deskpilot.data.vocab import Vocabulary


def _window(screen: Screen, painter: Painter, vocab: Vocabulary, box: Box, used: set[str]) -> None:
    t, rng, draw = painter.theme, painter.rng, painter.draw
    x0, y0, x1, y1 = box
    title = unique_label(vocab, used)
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
            label = unique_label(vocab, used, 1)
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
                    text_box=text_box(kind, ebox, w),
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
            label = unique_label(vocab, used)
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
        label = unique_label(vocab, used)
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
                text_box=text_box(kind, ebox, w),
                ink=painter.ink,
            )
        )
        x += w + rng.randint(12, 40)
        row_h = max(row_h, ebox[3] - ebox[1])


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
    painter = Painter(image, theme, rng, font_px, face)
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
