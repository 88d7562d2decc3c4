"""Word screens (the reading curriculum's samples): where the labels are drawn is where the
ground truth says, and the knobs do what they say, checked from the pixels."""

from __future__ import annotations

import random

import numpy as np
import pytest

from training.data.wordscreens import WORDS_PER_SCREEN, draw_words

WORDS = ["Save", "Open", "Cancel", "Print", "Settings"]


def ink_start(pixels: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int]:
    x0, y0, x1, y1 = box
    region = pixels[y0 : y1 + 1, x0 : x1 + 1]
    ys, xs = np.nonzero(np.abs(region - int(np.median(pixels))) > 60)
    return x0 + int(xs.min()), y0 + int(ys.min())


def test_every_label_is_drawn_inside_its_box_and_nowhere_else() -> None:
    screen = draw_words(random.Random(1), WORDS, size_px=24, plates=False)
    assert len(screen.elements) == WORDS_PER_SCREEN
    assert screen.image.size == (1008, 624)
    pixels = np.asarray(screen.image.convert("L"), dtype=np.int16)
    ink = np.abs(pixels - 235) > 60
    inside = np.zeros_like(ink)
    for element in screen.elements:
        assert element.label in WORDS
        x0, y0, x1, y1 = element.box
        assert ink[y0 : y1 + 1, x0 : x1 + 1].sum() > 20  # the word is there
        inside[y0 : y1 + 1, x0 : x1 + 1] = True
    assert not (ink & ~inside).any()  # and nothing is drawn outside the labels


@pytest.mark.parametrize("jitter", [0, 12])
def test_jitter_keeps_labels_near_a_patch_corner(jitter: int) -> None:
    rng = random.Random(2)
    offsets = []
    for _ in range(6):
        screen = draw_words(rng, WORDS, size_px=28, jitter=jitter, plates=False)
        pixels = np.asarray(screen.image.convert("L"), dtype=np.int16)
        for element in screen.elements:
            x, y = ink_start(pixels, element.box)
            offsets += [(x - 4) % 48, (y - 4) % 48]  # where a widget screen's snap puts ink
    slack = 4  # a glyph's side bearing
    assert all(-slack <= (o + slack) % 48 - slack <= jitter + slack for o in offsets), offsets
    if jitter == 0:
        return
    assert len({o for o in offsets}) > 3  # it does move them


def test_plates_follow_the_theme() -> None:
    light = draw_words(random.Random(3), WORDS, dark=False)
    dark = draw_words(random.Random(3), WORDS, dark=True)
    assert not light.dark and dark.dark
    mean = {
        name: float(np.asarray(s.image.convert("L")).mean())
        for name, s in (("light", light), ("dark", dark))
    }
    assert mean["dark"] < mean["light"]


@pytest.mark.parametrize(
    ("words", "jitter", "message"),
    [([], 12, "at least one word"), (WORDS, 49, "jitter must be"), (WORDS, -1, "jitter must be")],
)
def test_bad_arguments_are_refused(words: list[str], jitter: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw_words(random.Random(0), words, jitter=jitter)
