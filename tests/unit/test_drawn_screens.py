"""Drawn screens: exact boxes, unique labels, each label's ink, forms, scattered widgets, faces, chrome."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.screens import draw_screen
from deskpilot.data.vocab import Vocabulary


@pytest.mark.parametrize("seed", range(8))
def test_screens_have_unique_labels_and_boxes_on_the_image(seed: int) -> None:
    rng = random.Random(seed)
    screen = draw_screen(rng, Vocabulary("train", rng))
    labels = [e.label.lower() for e in screen.elements]
    assert len(labels) == len(set(labels)) and len(labels) >= 3
    width, height = screen.image.size
    for element in screen.elements:
        x0, y0, x1, y1 = element.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, element


def test_dark_screens_are_dark() -> None:
    rng = random.Random(9)
    dark = draw_screen(rng, Vocabulary("train", rng), dark=True)
    light = draw_screen(rng, Vocabulary("train", rng), dark=False)
    assert np.asarray(dark.image).mean() < np.asarray(light.image).mean()


def test_a_field_label_is_drawn_left_of_its_box_and_ink_is_there() -> None:
    rng = random.Random(5)
    fields = []
    for _ in range(6):
        screen = draw_screen(rng, Vocabulary("train", rng), (1008, 624))
        fields += [(screen, e) for e in screen.elements if e.kind == "field"]
        assert all(e.text_box is None for e in screen.elements if e.kind != "field")
    assert fields
    for screen, element in fields:
        assert element.text_box is not None
        x0, y0, x1, y1 = element.text_box
        assert x0 < x1 == element.box[0] and (y0, y1) == (element.box[1], element.box[3])
        pixels = np.asarray(screen.image.crop(element.text_box).convert("L"), dtype=np.int16)
        assert pixels.max() - pixels.min() > 60  # the label's glyphs are in that box


def test_simple_forms_hold_labelled_fields_and_buttons() -> None:
    from deskpilot.data.forms import draw_form

    rng = random.Random(8)
    for _ in range(10):
        screen = draw_form(rng, Vocabulary("train", rng), (1008, 624))
        kinds = [e.kind for e in screen.elements]
        assert kinds and set(kinds) <= {"field", "button"} and "field" in kinds
        labels = [e.label.lower() for e in screen.elements]
        assert len(set(labels)) == len(labels)
        for element in screen.elements:
            x0, y0, x1, y1 = element.box
            assert 0 <= x0 < x1 <= 1008 and 0 <= y0 < y1 <= 624
            assert (element.text_box is not None) == (element.kind == "field")


def test_some_form_fields_already_hold_text_and_buttons_never_overlap() -> None:
    from deskpilot.data.forms import draw_form

    rng = random.Random(11)
    filled = empty = 0
    for _ in range(40):
        screen = draw_form(rng, Vocabulary("train", rng), (1008, 624), dark=False)
        for element in screen.elements:
            x0, y0, x1, y1 = element.box
            if element.kind == "field":
                colours = screen.image.crop((x0 + 2, y0 + 2, x1 - 2, y1 - 2)).getcolors(4096)
                filled, empty = (
                    (filled + 1, empty) if len(colours or []) > 1 else (filled, empty + 1)
                )
        buttons = sorted(e.box for e in screen.elements if e.kind == "button")
        assert all(a[2] < b[0] for a, b in itertools.pairwise(buttons))
    assert filled > 0 and empty > filled


@pytest.mark.parametrize("count", [1, 3, 6])
def test_scattered_widgets_do_not_overlap_and_their_boxes_hold_ink(count: int) -> None:
    from deskpilot.data.widgets import draw_widgets

    rng = random.Random(count)
    for _ in range(5):
        screen = draw_widgets(rng, Vocabulary("train", rng), (1008, 624), count)
        assert 1 <= len(screen.elements) <= count
        pixels = np.asarray(screen.image.convert("L"), dtype=np.int16)
        background = int(np.median(pixels))
        boxes = [e.text_box or e.box for e in screen.elements] + [e.box for e in screen.elements]
        for element in screen.elements:
            x0, y0, x1, y1 = element.box
            assert 0 <= x0 < x1 <= 1008 and 0 <= y0 < y1 <= 624
            assert (np.abs(pixels[y0:y1, x0:x1] - background) > 30).any()  # something is drawn
        for i, a in enumerate(screen.elements):
            for b in screen.elements[i + 1 :]:
                apart = a.box[2] < b.box[0] or b.box[2] < a.box[0] or a.box[3] < b.box[1]
                assert apart or b.box[3] < a.box[1], (a, b)
        assert len(boxes) == 2 * len(screen.elements)


@pytest.mark.parametrize("jitter", [0, 12])
def test_grid_jitter_puts_label_ink_near_a_patch_corner(jitter: int) -> None:
    offsets = []
    for sample in synthetic_samples(
        40, "train", seed=6, widgets=3, grid_jitter=jitter, tasks_per_screen=1
    ):
        assert sample.image.size == (1008, 624)  # the processor leaves this size alone
        pixels = np.asarray(sample.image.convert("L"), dtype=np.int16)
        for element in sample.elements:
            if element.kind not in ("menu", "list_item"):  # their box holds nothing but the text
                continue
            x0, y0, x1, y1 = element.box
            region = pixels[y0:y1, x0:x1]
            ys, xs = np.nonzero(np.abs(region - int(np.median(region))) > 40)
            offsets.append(((x0 + xs.min() - 4) % 48, (y0 + ys.min() - 4) % 48))
    assert len(offsets) >= 5
    tolerance = 6  # the ink's faint anti-aliased edge (thin faces) against Pillow's text box
    wrapped = [
        ((x + tolerance) % 48 - tolerance, (y + tolerance) % 48 - tolerance) for x, y in offsets
    ]
    assert all(-tolerance <= v <= jitter + tolerance for pair in wrapped for v in pair), wrapped


def test_a_small_vocabulary_fills_a_busy_widget_screen_without_failing() -> None:
    from deskpilot.data.widgets import draw_widgets

    rng = random.Random(8)
    for count, limit in [(8, 12), (8, 3)]:
        for _ in range(10):
            screen = draw_widgets(
                rng, Vocabulary("train", rng, limit=limit), (1008, 624), count, font_sizes=(28, 28)
            )
            labels = [e.label.lower() for e in screen.elements]
            assert 1 <= len(labels) <= min(count, limit) and len(set(labels)) == len(labels)


@pytest.mark.parametrize("face", [1, 3])
def test_one_face_draws_every_label_in_that_face(face: int) -> None:
    from PIL import Image, ImageDraw

    from deskpilot.data.painter import font

    def ink_width(region: np.ndarray) -> int:
        _, xs = np.nonzero(np.abs(region - int(np.median(region))) > 40)
        return int(xs.max() - xs.min())

    def width_in(label: str, index: int) -> int:  # the same label alone, measured the same way
        image = Image.new("L", (400, 60), 230)
        ImageDraw.Draw(image).text((10, 10), label, font=font(20, index), fill=20)
        return ink_width(np.asarray(image, dtype=np.int16))

    measured = 0
    for sample in synthetic_samples(
        12, "train", seed=9, widgets=3, font_sizes=(20, 20), face=face, tasks_per_screen=1
    ):
        pixels = np.asarray(sample.image.convert("L"), dtype=np.int16)
        for element in sample.elements:
            if element.kind not in ("menu", "list_item") or len(element.label) < 6:
                continue  # their box holds nothing but the text
            x0, y0, x1, y1 = element.box
            ink = ink_width(pixels[y0:y1, x0:x1])
            drawn = {index: width_in(element.label, index) for index in (1, 3)}
            other = 4 - face  # the proportional face 1 against the monospaced face 3
            assert abs(ink - drawn[face]) < abs(ink - drawn[other]), (element.label, ink, drawn)
            measured += 1
    assert measured >= 3


def test_widget_labels_stand_out_from_their_background() -> None:
    # Widgets sit on a window's colour: dark ink on a mid-blue desktop was barely legible.
    contrasts = []
    for sample in synthetic_samples(40, "train", seed=11, widgets=3, tasks_per_screen=1):
        pixels = np.asarray(sample.image.convert("L"), dtype=np.int16)
        for element in sample.elements:
            if element.kind in ("menu", "list_item"):  # their box holds nothing but the text
                x0, y0, x1, y1 = element.box
                region = pixels[y0:y1, x0:x1]
                contrasts.append(int(np.abs(region - int(np.median(region))).max()))
    assert len(contrasts) >= 10
    assert min(contrasts) >= 150, sorted(contrasts)[:5]


def test_every_drawn_label_knows_its_own_ink() -> None:
    # The reading loss asks the patches under a label's text, not its padding or indicator, to
    # read it: the ink box must hold the text and sit inside the element.
    from deskpilot.data.forms import draw_form
    from deskpilot.data.widgets import draw_widgets

    rng, vocab = random.Random(12), Vocabulary("train", random.Random(12))
    screens = [draw_screen(rng, vocab) for _ in range(4)]
    screens += [draw_form(rng, vocab) for _ in range(4)]
    screens += [draw_widgets(rng, vocab, count=3) for _ in range(6)]
    checked = 0
    for screen in screens:
        pixels = np.asarray(screen.image.convert("L"), dtype=np.int16)
        for element in screen.elements:
            assert element.ink is not None, element
            x0, y0, x1, y1 = element.ink
            outer = element.text_box or element.box
            assert outer[0] - 1 <= x0 <= x1 <= outer[2] + 1, (element, outer)
            assert outer[1] - 1 <= y0 <= y1 <= outer[3] + 1, (element, outer)
            region = pixels[y0 : y1 + 1, x0 : x1 + 1]
            assert np.abs(region - int(np.median(region))).max() > 60  # text is drawn there
            checked += 1
    assert checked > 40


def test_desktop_chrome_keeps_to_its_edge_and_above_the_client_area() -> None:
    from PIL import Image, ImageDraw

    from deskpilot.data.desktop import draw_frame, draw_taskbar
    from deskpilot.data.painter import font

    for seed in range(12):
        image = Image.new("RGB", (1008, 624), (1, 2, 3))
        draw, rng = ImageDraw.Draw(image), random.Random(seed)
        x0, top, x1, bottom = draw_taskbar(draw, rng, image.size, font(12, 1), "Editor")
        assert (x0, x1) == (0, 1008) and (top == 0 or bottom == 624) and 12 < bottom - top < 40
        pixels = np.asarray(image)
        assert (pixels[top:bottom] != (1, 2, 3)).any() and (pixels[40:584] == (1, 2, 3)).all()
        client = (300, 200, 700, 500)
        height = draw_frame(draw, rng, client, font(12, 1), "Editor", (0, 90, 200))
        framed = np.asarray(image)
        assert height > 12 and (framed[200 - height + 2 : 198, 400] == (0, 90, 200)).any()
        inner = framed[client[1] + 5 : client[3] - 5, client[0] + 5 : client[2] - 5]
        assert (inner == (0, 90, 200)).all()  # the client area is left for the window to paint
