"""A pool of captured screens (issue 4): written once, read back exactly, drawn from at random."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from deskpilot.data.elements import Screen
from deskpilot.data.forms import draw_form
from deskpilot.data.tasks import lands_inside
from deskpilot.data.vocab import Vocabulary
from training.data.screenpool import ScreenPool, write_pool


def forms(count: int) -> list[Screen]:
    rng = random.Random(3)
    vocab = Vocabulary("train", rng)
    return [draw_form(rng, vocab, (816, 528)) for _ in range(count)]


def test_a_pool_gives_back_its_screens_exactly(tmp_path: Path) -> None:
    screens = forms(3)
    assert write_pool(tmp_path / "pool", iter(screens), 3) == 3
    pool = ScreenPool(tmp_path / "pool")
    assert len(pool) == 3
    for number, screen in enumerate(screens):
        back = pool.screen(number)
        assert back.image.tobytes() == screen.image.tobytes()
        assert back.elements == screen.elements and back.texts == screen.texts
        assert back.scrollables == screen.scrollables and back.dark == screen.dark


def test_writing_again_adds_to_the_pool(tmp_path: Path) -> None:
    write_pool(tmp_path, iter(forms(2)), 2)
    assert write_pool(tmp_path, iter(forms(1)), 1) == 3
    assert len(ScreenPool(tmp_path)) == 3


def test_samples_from_a_pool_are_tasks_on_its_screens(tmp_path: Path) -> None:
    screens = forms(2)
    write_pool(tmp_path, iter(screens), 2)
    rng = random.Random(0)
    samples = list(
        itertools.islice(ScreenPool(tmp_path).samples(rng, Vocabulary("train", rng)), 40)
    )
    labels = {e.label for s in screens for e in s.elements}
    clicked = [s for s in samples if s.kind == "click"]
    assert clicked and all(s.task.removeprefix("click ") in labels for s in clicked)
    for sample in clicked:
        assert sample.box is not None and lands_inside(sample.target, sample.box, (816, 528))
    assert {s.image.tobytes() for s in samples} == {s.image.tobytes() for s in screens}


def test_a_folder_without_a_pool_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a screen pool"):
        ScreenPool(tmp_path)
    (tmp_path / "screens.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        ScreenPool(tmp_path)
