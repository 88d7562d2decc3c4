"""Widgets scattered over one window: the easiest rung of the curriculum, and a reading curriculum's
labels placed on the model's patch grid."""

from __future__ import annotations

import random

from PIL import Image

from deskpilot.data.elements import KINDS, Box, Element, Screen
from deskpilot.data.painter import Painter, make_theme, text_box
from deskpilot.data.vocab import Vocabulary

PATCH_PX = 48  # the model's patch side, in the pixels of a screen the processor does not resize


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
    painter = Painter(screen.image, theme, rng, rng.randint(*font_sizes), face)
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
                text_box=text_box(kind, box, advance),
                ink=painter.ink,
            )
        )
    return screen


def _overlaps(a: Box, b: Box, margin: int) -> bool:
    return not (
        a[2] + margin < b[0] or b[2] + margin < a[0] or a[3] + margin < b[1] or b[3] + margin < a[1]
    )
