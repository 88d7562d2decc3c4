"""training/tinymodels/stream.py: the training stream's knobs (issue 4): a closed word list, open
labels beside it, and a knob at 0 that leaves the other sources' screens as they were."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from deskpilot.data.forms import draw_form
from deskpilot.data.tasks import Sample
from deskpilot.data.vocab import Vocabulary
from training.data.screenpool import write_pool
from training.tinymodels.stream import training_samples
from training.train_options import arguments


def stream(monkeypatch: pytest.MonkeyPatch, *knobs: str, count: int = 80) -> list[Sample]:
    argv = ["train_default.py", "--out", "unused", "--widgets", "3", "--words", "12", *knobs]
    monkeypatch.setattr("sys.argv", argv)
    return list(itertools.islice(training_samples(arguments(), 7), count))


def clicked(samples: list[Sample]) -> set[str]:
    return {s.task.removeprefix("click ") for s in samples if s.kind == "click"}


def test_a_closed_list_clicks_only_its_words_and_open_labels_reach_beyond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = {w.capitalize() for w in Vocabulary("train", random.Random(0), 0.0, 12).words}
    closed = clicked(stream(monkeypatch))
    assert closed and closed <= words
    opened = clicked(stream(monkeypatch, "--open-labels", "1", "--pseudo", "0.5"))
    assert opened - words  # labels from the whole vocabulary and made up
    assert any(" " in label for label in opened)  # one or two words


def test_open_labels_at_zero_leave_the_closed_stream_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = stream(monkeypatch, "--word-share", "0.3", "--typing-drills", "0.2")
    zero = stream(
        monkeypatch, "--word-share", "0.3", "--typing-drills", "0.2", "--open-labels", "0"
    )
    assert [(s.kind, s.task) for s in plain] == [(s.kind, s.task) for s in zero]
    assert {s.kind for s in plain} >= {"read", "click"}


def test_a_tk_share_draws_tasks_on_the_pooled_dialogs_and_zero_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rng = random.Random(5)
    vocab = Vocabulary("train", rng)
    screens = [draw_form(rng, vocab, (816, 528)) for _ in range(2)]
    write_pool(tmp_path / "tk-dialogs-2", iter(screens), 2)
    (tmp_path / "tk-dialogs-2" / "done").write_text("")  # a complete pool: nothing is captured
    pooled = stream(monkeypatch, "--tk-share", "1", "--tk-dialogs", "2", "--pools", str(tmp_path))
    images = {s.tobytes() for s in (screen.image for screen in screens)}
    assert all(s.image.tobytes() in images for s in pooled)
    labels = {e.label for screen in screens for e in screen.elements}
    assert clicked(pooled) and clicked(pooled) <= labels
    plain = stream(monkeypatch, "--word-share", "0.3")
    zero = stream(monkeypatch, "--word-share", "0.3", "--tk-share", "0", "--pools", "/nonexistent")
    assert [(s.kind, s.task) for s in plain] == [(s.kind, s.task) for s in zero]


def test_open_words_put_the_whole_vocabulary_on_word_screens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = {w.capitalize() for w in Vocabulary("train", random.Random(0), 0.0, 12).words}

    def read(samples: list[Sample]) -> set[str]:
        return {e.label for s in samples if s.kind == "read" for e in s.elements}

    plain = stream(monkeypatch, "--word-share", "0.5")
    assert read(plain) and read(plain) <= closed
    opened = read(
        stream(monkeypatch, "--word-share", "0.5", "--open-words", "1", "--pseudo", "0.5")
    )
    assert len(opened - closed) > len(closed)  # far beyond the closed list, made-up words too
    assert all(" " not in word for word in opened)  # one word a label, as on the closed screens
    zero = stream(monkeypatch, "--word-share", "0.5", "--open-words", "0")
    assert [(s.kind, s.task, s.elements) for s in plain] == [
        (s.kind, s.task, s.elements) for s in zero
    ]


def test_scroll_drills_bring_scroll_tasks_on_lists_and_at_zero_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = stream(monkeypatch, "--forms", "0.7", count=60)
    assert not any(s.kind == "scroll" for s in plain)  # widget and form screens have no list
    zero = stream(monkeypatch, "--forms", "0.7", "--scroll-drills", "0", count=60)
    assert [s.task for s in zero] == [s.task for s in plain]
    drilled = stream(monkeypatch, "--forms", "0.7", "--scroll-drills", "0.3", count=60)
    scrolls = [s for s in drilled if s.kind == "scroll"]
    assert len(scrolls) >= 6
    for sample in scrolls:
        x0, y0, x1, y1 = sample.box or (0, 0, 0, 0)
        x, y = sample.target["arguments"]["x"], sample.target["arguments"]["y"]
        width, height = sample.image.size
        assert x0 <= x * width / 1000 <= x1 and y0 <= y * height / 1000 <= y1  # in the list
        assert any(e.kind == "list_item" for e in sample.elements)
