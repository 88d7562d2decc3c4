"""The data engine: deterministic screens, exact ground truth, valid targets, disjoint splits."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from deskpilot.data.dataset import DESKTOP, read_dataset, synthetic_samples, write_dataset
from deskpilot.data.screens import draw_screen
from deskpilot.data.tasks import TASK_KINDS, Sample, lands_inside, samples_for
from deskpilot.data.vocab import UI_WORDS, Vocabulary, _split_of
from deskpilot.tools import ToolRegistry

REGISTRY = ToolRegistry()


def test_the_same_seed_gives_the_same_samples() -> None:
    first = list(synthetic_samples(3, "train", seed=5))
    second = list(synthetic_samples(3, "train", seed=5))
    assert [(s.task, s.target) for s in first] == [(s.task, s.target) for s in second]
    assert np.array_equal(np.asarray(first[0].image), np.asarray(second[0].image))
    other = list(synthetic_samples(3, "train", seed=6))
    assert [s.task for s in other] != [s.task for s in first]


def test_splits_never_share_a_word() -> None:
    train = {w for w in UI_WORDS if _split_of(w) == "train"}
    held = {w for w in UI_WORDS if _split_of(w) == "heldout"}
    assert train and held and not train & held
    rng = random.Random(0)
    words = {Vocabulary("heldout", rng).word() for _ in range(300)}
    assert all(_split_of(w) == "heldout" for w in words)


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


def test_every_target_is_a_valid_call_and_every_click_lands_in_its_box() -> None:
    seen = set()
    for sample in synthetic_samples(40, "train", seed=1):
        call = REGISTRY.validate(sample.target)
        seen.add(sample.kind)
        if sample.box is not None and call.action.points():
            assert lands_inside(sample.target, sample.box, sample.image.size), sample.task
    assert {"click", "type", "key", "done", "not_found"} <= seen


def test_not_found_tasks_name_something_absent() -> None:
    rng = random.Random(2)
    vocab = Vocabulary("train", rng)
    screen = draw_screen(rng, vocab)
    for _ in range(10):
        (sample,) = samples_for(screen, rng, vocab, "not_found")
        missing = sample.task.split(" ", 1)[1].lower()
        assert missing not in {e.label.lower() for e in screen.elements}
        assert sample.target["name"] == "fail"


def test_multi_step_typing_has_the_history_of_each_step() -> None:
    rng = random.Random(4)
    vocab = Vocabulary("train", rng)
    screen = draw_screen(rng, vocab)
    while not (steps := samples_for(screen, rng, vocab, "type")):
        screen = draw_screen(rng, vocab)
    assert [s.target["name"] for s in steps] == ["click", "type_text", "done"]
    assert [len(s.history) for s in steps] == [0, 1, 2]


def test_dark_screens_are_dark() -> None:
    rng = random.Random(9)
    dark = draw_screen(rng, Vocabulary("train", rng), dark=True)
    light = draw_screen(rng, Vocabulary("train", rng), dark=False)
    assert np.asarray(dark.image).mean() < np.asarray(light.image).mean()


def test_dataset_round_trip(tmp_path: Path) -> None:
    samples = list(synthetic_samples(2, "heldout", seed=3))
    assert write_dataset(tmp_path, iter(samples)) == len(samples)
    back = list(read_dataset(tmp_path))
    assert [(s.task, s.target, s.history, s.box) for s in back] == [
        (s.task, s.target, s.history, s.box) for s in samples
    ]
    assert set(TASK_KINDS) >= {s.kind for s in back}


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


def test_samples_carry_every_element_of_their_screen() -> None:
    samples = list(synthetic_samples(2, "train", seed=4))
    assert all(s.elements for s in samples)
    for sample in samples:
        if sample.box is not None and sample.kind != "scroll":
            assert sample.box in {e.box for e in sample.elements}


def test_the_share_of_made_up_words_is_a_setting() -> None:
    real = {w.lower() for w in UI_WORDS}
    only_real = Vocabulary("train", random.Random(2), pseudo=0.0)
    assert all(only_real.word().lower() in real for _ in range(300))
    only_made_up = Vocabulary("train", random.Random(2), pseudo=1.0)
    assert not any(only_made_up.word().lower() in real for _ in range(300))


def test_simple_forms_hold_labelled_fields_and_buttons() -> None:
    from deskpilot.data.screens import draw_form

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
    from deskpilot.data.screens import draw_form

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


def test_a_widget_rung_with_a_forms_share_draws_forms_at_the_rung_label_sizes() -> None:
    def forms_at(size: int) -> list[Sample]:
        return list(
            synthetic_samples(
                8,
                "train",
                seed=3,
                forms=1.0,
                widgets=3,
                words=12,
                font_sizes=(size, size),
                grid_jitter=48,
                face=1,
            )
        )

    small, large = forms_at(12), forms_at(24)
    words = {w.capitalize() for w in Vocabulary("train", random.Random(0), 0.0, 12).words}
    for samples in (small, large):
        elements = [e for s in samples for e in s.elements]
        assert {e.kind for e in elements} <= {"field", "button"} and elements
        assert {e.label for e in elements} <= words
        assert all(s.image.size == (1008, 624) for s in samples)

    def ink_height(samples: list[Sample]) -> float:
        heights = [e.ink[3] - e.ink[1] for s in samples for e in s.elements if e.ink]
        return sum(heights) / len(heights)

    assert ink_height(large) > 1.6 * ink_height(small)


def test_a_forms_share_mixes_forms_into_the_stream() -> None:
    samples = list(synthetic_samples(12, "train", seed=6, forms=1.0))
    kinds = {e.kind for s in samples for e in s.elements}
    assert kinds <= {"field", "button"}


@pytest.mark.parametrize("count", [1, 3, 6])
def test_scattered_widgets_do_not_overlap_and_their_boxes_hold_ink(count: int) -> None:
    from deskpilot.data.screens import draw_widgets

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


def test_a_widgets_setting_makes_every_screen_a_bare_desktop_with_few_widgets() -> None:
    samples = list(synthetic_samples(10, "train", seed=3, widgets=2))
    assert samples
    assert all(
        1 <= len(s.elements) <= 2 and {e.window for e in s.elements} == {"desktop"} for s in samples
    )


def test_large_font_sizes_draw_taller_labels_and_the_default_stream_is_unchanged() -> None:
    def heights(**options: tuple[int, int]) -> list[int]:
        samples = synthetic_samples(6, "train", seed=4, widgets=3, **options)
        return [e.box[3] - e.box[1] for s in samples for e in s.elements if e.kind != "icon"]

    small, large = heights(), heights(font_sizes=(28, 32))
    assert small == heights(font_sizes=(11, 16))  # the default is the UI-sized stream
    assert min(large) > max(small)


def test_an_unknown_split_is_an_error_not_an_endless_loop() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        Vocabulary("val", random.Random(0))  # type: ignore[arg-type]


def test_a_screen_never_hosts_the_same_task_twice() -> None:
    samples = list(synthetic_samples(20, "train", seed=5, widgets=3, weights={"click": 1}))
    by_screen: dict[int, list[str]] = {}
    for sample in samples:
        by_screen.setdefault(id(sample.image), []).append(sample.task)
    assert all(len(tasks) == len(set(tasks)) for tasks in by_screen.values())
    assert all(1 <= len(tasks) <= 3 for tasks in by_screen.values())  # at most one per widget
    assert max(len(tasks) for tasks in by_screen.values()) == 3


def test_a_limited_vocabulary_draws_one_word_labels_from_its_first_words() -> None:
    rng = random.Random(1)
    vocab = Vocabulary("train", rng, limit=5)
    labels = {vocab.label() for _ in range(200)}
    assert {label.lower() for label in labels} == set(vocab.words) and len(vocab.words) == 5
    assert vocab.pseudo == 0.0
    samples = list(synthetic_samples(10, "train", seed=2, widgets=3, words=5))
    assert {e.label.lower() for s in samples for e in s.elements} <= set(vocab.words)


def test_a_vocabulary_that_runs_out_of_labels_says_so_instead_of_looping() -> None:
    vocab = Vocabulary("train", random.Random(1), limit=2)
    with pytest.raises(ValueError, match="no label left"):
        vocab.label_not_in(set(vocab.words))
    with pytest.raises(ValueError, match="at least one word"):
        Vocabulary("train", random.Random(1), limit=0)


def test_a_desktop_share_draws_rung_screens_at_the_real_screen_size_and_leaves_others_alone() -> (
    None
):
    def rung(desktop: float, forms: float) -> list[Sample]:
        return list(
            synthetic_samples(
                12,
                "train",
                seed=4,
                forms=forms,
                widgets=3,
                words=12,
                grid_jitter=48,
                face=1,
                desktop=desktop,
                tasks_per_screen=1,
            )
        )

    for forms in (0.0, 1.0):
        assert {s.image.size for s in rung(1.0, forms)} == {DESKTOP}
        half = {s.image.size for s in rung(0.5, forms)}
        assert half == {DESKTOP, (1008, 624)}
        for sample in rung(1.0, forms):  # every target is on the bigger screen
            assert all(
                0 <= e.box[2] < DESKTOP[0] and 0 <= e.box[3] < DESKTOP[1] for e in sample.elements
            )


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
    from deskpilot.data.screens import draw_widgets

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

    from deskpilot.data.screens import font

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
    from deskpilot.data.screens import draw_form, draw_widgets

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


def test_free_text_to_type_goes_beyond_the_label_words() -> None:
    vocab = Vocabulary("train", random.Random(5), 0.0, 12, free=1.0)
    texts = [vocab.text() for _ in range(200)]
    words = set(vocab.words)
    beyond = [t for t in texts if not set(t.split()) <= words]
    assert len(beyond) > 150
    assert any("@" in t for t in texts) and any(t[:1].isdigit() or t[:1] == "+" for t in texts)
    assert any(t != t.lower() for t in texts)
    plain = Vocabulary("train", random.Random(5), 0.0, 12)
    assert all(set(plain.text().split()) <= words for _ in range(200))


def test_quoted_typing_tasks_show_the_text_in_quotes_and_type_it_without() -> None:
    samples = list(
        synthetic_samples(
            20, "train", seed=2, free_text=1.0, quote=1.0, weights={"type": 1.0}, tasks_per_screen=3
        )
    )
    typed = [s for s in samples if s.target["name"] == "type_text"]
    assert typed
    for sample in typed:
        text = sample.target["arguments"]["text"]
        assert '"' not in text and sample.task.startswith(f'type "{text}" into ')
    unquoted = list(
        synthetic_samples(
            20, "train", seed=2, free_text=1.0, weights={"type": 1.0}, tasks_per_screen=3
        )
    )
    assert not any('"' in s.task for s in unquoted)


def test_a_typing_drill_types_the_task_text_then_says_done() -> None:
    from deskpilot.data.tasks import typing_drill

    vocab = Vocabulary("train", random.Random(4), 0.0, 24, free=1.0, quote=1.0)
    registry = ToolRegistry()
    for seed in range(20):
        typed, done = typing_drill(random.Random(seed), vocab)
        text = typed.target["arguments"]["text"]
        assert typed.task.startswith(f'type "{text}" into ') and typed.image.size == (1008, 624)
        assert registry.parse(json.dumps(typed.target)).name == "type_text"
        assert [json.loads(h.call)["name"] for h in done.history] == ["click", "type_text"]
        assert done.target["name"] == "done" and text in done.target["arguments"]["answer"]


def test_desktop_chrome_keeps_to_its_edge_and_above_the_client_area() -> None:
    from PIL import Image, ImageDraw

    from deskpilot.data.desktop import draw_frame, draw_taskbar
    from deskpilot.data.screens import font

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


def test_a_not_found_task_never_names_a_title_or_a_line_of_text_on_the_screen() -> None:
    from deskpilot.data.screens import draw_form
    from deskpilot.data.tasks import samples_for

    rng, checked = random.Random(21), 0
    vocab = Vocabulary("train", rng, 0.0, 12)  # few words: a drawn one is often drawn again
    for _ in range(60):
        screen = draw_form(rng, vocab, (1008, 624))
        assert screen.texts  # the title at least
        for sample in samples_for(screen, rng, vocab, "not_found"):
            named = sample.task.split(" ", 1)[1].lower()
            assert named not in screen.texts and named not in {
                e.label.lower() for e in screen.elements
            }
            checked += 1
    assert checked > 20


def test_free_text_reaches_letters_and_codes_beyond_syllables() -> None:
    import re

    from deskpilot.data.vocab import free_text

    rng = random.Random(11)
    texts = [free_text(rng) for _ in range(700)]
    # names of letters at random: five consonants in a row, which syllables (onset, vowel, coda)
    # and the UI words never give
    assert sum(bool(re.search("[bcdfghjklmnpqrstvwxz]{5}", t.lower())) for t in texts) >= 5
    # codes: letters and digits in one word, not an address (the other kinds never mix them)
    codes = [
        t
        for t in texts
        if " " not in t
        and "@" not in t
        and any(c.isdigit() for c in t)
        and any(c.isalpha() for c in t)
    ]
    assert len(codes) >= 30
