"""The sample stream: deterministic, valid targets, exact ground truth, the curriculum's settings."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from deskpilot.data.dataset import DESKTOP, read_dataset, synthetic_samples, write_dataset
from deskpilot.data.screens import draw_screen
from deskpilot.data.tasks import TASK_KINDS, Sample, lands_inside, samples_for
from deskpilot.data.vocab import Vocabulary
from deskpilot.tools import ToolRegistry

REGISTRY = ToolRegistry()


def test_the_same_seed_gives_the_same_samples() -> None:
    first = list(synthetic_samples(3, "train", seed=5))
    second = list(synthetic_samples(3, "train", seed=5))
    assert [(s.task, s.target) for s in first] == [(s.task, s.target) for s in second]
    assert np.array_equal(np.asarray(first[0].image), np.asarray(second[0].image))
    other = list(synthetic_samples(3, "train", seed=6))
    assert [s.task for s in other] != [s.task for s in first]


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


def test_dataset_round_trip(tmp_path: Path) -> None:
    samples = list(synthetic_samples(2, "heldout", seed=3))
    assert write_dataset(tmp_path, iter(samples)) == len(samples)
    back = list(read_dataset(tmp_path))
    assert [(s.task, s.target, s.history, s.box) for s in back] == [
        (s.task, s.target, s.history, s.box) for s in samples
    ]
    assert set(TASK_KINDS) >= {s.kind for s in back}


def test_samples_carry_every_element_of_their_screen() -> None:
    samples = list(synthetic_samples(2, "train", seed=4))
    assert all(s.elements for s in samples)
    for sample in samples:
        if sample.box is not None and sample.kind != "scroll":
            assert sample.box in {e.box for e in sample.elements}


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


def test_a_screen_never_hosts_the_same_task_twice() -> None:
    samples = list(synthetic_samples(20, "train", seed=5, widgets=3, weights={"click": 1}))
    by_screen: dict[int, list[str]] = {}
    for sample in samples:
        by_screen.setdefault(id(sample.image), []).append(sample.task)
    assert all(len(tasks) == len(set(tasks)) for tasks in by_screen.values())
    assert all(1 <= len(tasks) <= 3 for tasks in by_screen.values())  # at most one per widget
    assert max(len(tasks) for tasks in by_screen.values()) == 3


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


def test_a_not_found_task_never_names_a_title_or_a_line_of_text_on_the_screen() -> None:
    from deskpilot.data.forms import draw_form
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


def test_widget_and_form_screens_have_no_list_but_a_busy_share_brings_scroll_tasks() -> None:
    options = {"widgets": 3, "forms": 0.7, "weights": {"click": 1, "scroll": 3}}
    plain = list(synthetic_samples(30, "train", seed=8, **options))
    assert not any(s.target["name"] == "scroll" for s in plain)  # why the knob exists
    assert [s.task for s in plain] == [
        s.task for s in synthetic_samples(30, "train", seed=8, busy=0.0, **options)
    ]  # busy=0 leaves a recorded stream as it was
    busy = list(synthetic_samples(30, "train", seed=8, busy=0.5, **options))
    scrolls = [s for s in busy if s.target["name"] == "scroll"]
    assert scrolls and all(s.task.startswith("scroll ") and s.box is not None for s in scrolls)
