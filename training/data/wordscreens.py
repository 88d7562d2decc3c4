"""Word screens: labels alone on a bare desktop, for teaching the model to read.

A word screen carries no task: its ground truth is where each label is drawn, and training uses it
for the per-patch reading loss only ("which label is drawn in this patch?"). It packs eight labels
on one screen (a widget screen has one to three), so a reading curriculum gets four times the
signal per sample. The knobs are the curriculum's rungs: the font size, how far a label may sit
from a corner of the model's 48-pixel patch grid, plates or not, one face or any, light or dark.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from PIL import Image, ImageDraw

from deskpilot.data.elements import Element, Screen
from deskpilot.data.painter import font, make_theme
from deskpilot.data.widgets import PATCH_PX

SIZE = (1008, 624)  # 21 x 13 patches: the processor does not resize it
WORDS_PER_SCREEN = 8


def draw_words(
    rng: random.Random,
    words: Sequence[str],
    size_px: int = 28,
    jitter: int = 48,
    plates: bool = True,
    face: int | None = None,
    dark: bool | None = None,
) -> Screen:
    """Eight labels drawn from ``words`` on a 1008x624 screen, each an element whose box is its
    ink. A label starts at most ``jitter`` pixels right of and below a patch corner (48: anywhere
    in the patch). ``plates`` puts each on a button-like plate in a random theme (``dark``: None
    for a random one); ``face`` fixes the font face (None: a random one per label)."""
    if not words:
        raise ValueError("draw_words needs at least one word")
    if not 0 <= jitter <= PATCH_PX:
        raise ValueError(f"jitter must be 0..{PATCH_PX} pixels, got {jitter}")
    dark = (rng.random() < 0.3 if dark is None else dark) if plates else False
    theme = make_theme(rng, dark) if plates else None
    image = Image.new("RGB", SIZE, theme.desktop if theme else (235, 235, 235))
    draw = ImageDraw.Draw(image)
    screen = Screen(image=image, dark=dark)
    # every third column leaves room for a long word; rows one patch apart
    columns, rows = SIZE[0] // PATCH_PX, SIZE[1] // PATCH_PX
    cells = rng.sample(
        [(c, r) for c in range(0, columns - 3, 3) for r in range(rows)], WORDS_PER_SCREEN
    )
    for column, row in cells:
        word = rng.choice(words)
        face_at = face if face is not None else rng.randint(0, 7)
        typeface = font(size_px, face_at)
        # the ink (not the pen) starts where a widget screen's grid jitter puts a label's ink
        left, top, _, _ = draw.textbbox((0, 0), word, font=typeface)
        x = column * PATCH_PX + 4 + rng.randint(0, jitter) - int(left)
        y = row * PATCH_PX + 4 + rng.randint(0, min(jitter, PATCH_PX // 2)) - int(top)
        x0, y0, x1, y1 = (int(v) for v in draw.textbbox((x, y), word, font=typeface))
        box = (x0, y0, x1, y1)
        ink = (20, 20, 20)
        if theme is not None:
            plate = (box[0] - 6, box[1] - 5, box[2] + 6, box[3] + 5)
            draw.rounded_rectangle(plate, radius=4, fill=theme.control, outline=theme.border)
            ink = theme.text
        draw.text((x, y), word, font=typeface, fill=ink)
        screen.elements.append(Element(kind="button", label=word, box=box, window="words", ink=box))
    return screen
