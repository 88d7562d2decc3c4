"""Simple dialogs: the easy end of the curriculum (real forms look like this)."""

from __future__ import annotations

import random

from PIL import Image

from deskpilot.data.desktop import desktop_colour, draw_frame, draw_taskbar
from deskpilot.data.elements import Box, Element, Screen, unique_label
from deskpilot.data.painter import Painter, make_theme, text_box
from deskpilot.data.vocab import Vocabulary


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
    painter = Painter(screen.image, theme, rng, rng.randint(*font_sizes), face)
    width, height = size
    used: set[str] = set()
    title, bar = unique_label(vocab, used), painter.size * 2
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
                label = unique_label(vocab, used)
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
                    text_box=text_box(kind, box, advance),
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
    painter: Painter,
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
