"""Real Tk dialogs for training (issue 4): captured on Xvfb, ground truth from the widgets, kept in
a pool that is captured once."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.data.tasks import lands_inside, random_samples
from deskpilot.data.tkdialogs import tk_dialog_screens
from deskpilot.data.vocab import Vocabulary, _split_of
from deskpilot.xvfb import VirtualDisplay
from training.data.screenpool import capture_tk_dialogs

TRAINED = Path(__file__).parents[2] / "deskpilot" / "models" / "default"


def test_dialogs_have_widgets_where_tk_says_and_training_labels(display: VirtualDisplay) -> None:
    screens = list(tk_dialog_screens(4, "train", seed=3))
    rng = random.Random(0)
    kinds = set()
    for screen in screens:
        assert screen.image.size == (1280, 800)
        pixels = np.asarray(screen.image.convert("L"), dtype=np.float32)
        assert any(e.kind == "button" for e in screen.elements)
        for element in screen.elements:
            kinds.add(element.kind)
            x0, y0, x1, y1 = element.box
            assert 0 <= x0 < x1 < 1280 and 0 <= y0 < y1 < 800
            assert pixels[y0 : y1 + 1, x0 : x1 + 1].std() > 3, element  # something is drawn
            assert all(_split_of(word.lower()) == "train" for word in element.label.split())
            assert element.label.lower() not in screen.texts
            if element.kind == "field":  # its label is beside or above it, outside the field
                assert element.text_box is not None
                _, _, tx1, ty1 = element.text_box
                assert tx1 < x0 or ty1 < y0
            if element.kind == "button":  # the label's ink is centred in the button
                assert element.ink is not None
                ix0, iy0, ix1, iy1 = element.ink
                assert abs((ix0 + ix1) - (x0 + x1)) <= 2 and y0 <= iy0 < iy1 <= y1
        for sample in random_samples(screen, rng, Vocabulary("train", rng), 6):
            if sample.box is not None:
                assert lands_inside(sample.target, sample.box, screen.image.size)
    assert {"field", "button"} <= kinds


def test_a_pool_is_captured_once_on_a_display_of_its_own(tmp_path: Path) -> None:
    pool = capture_tk_dialogs(tmp_path / "pool", 2, seed=1, split="heldout")
    assert len(pool) == 2 and (tmp_path / "pool" / "done").exists()
    labels = [e.label for n in range(2) for e in pool.screen(n).elements]
    assert labels and all(_split_of(w.lower()) == "heldout" for t in labels for w in t.split())
    first = (tmp_path / "pool" / "screens.jsonl").stat().st_mtime_ns
    again = capture_tk_dialogs(tmp_path / "pool", 2, seed=1, split="heldout")
    assert (tmp_path / "pool" / "screens.jsonl").stat().st_mtime_ns == first
    assert again.records == pool.records
    assert not (tmp_path / "pool.partial").exists()


def test_the_dialogs_suite_runs_a_real_model_on_real_dialogs(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    rows_file = tmp_path / "rows.json"
    argv = [
        "model",
        "eval",
        str(TRAINED),
        "--suite",
        "dialogs",
        "--screens",
        "2",
        "--json",
        str(rows_file),
    ]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(rows_file.read_text())
    assert row["suite"] == "dialogs" and row["samples"] == "8" and row["valid calls"] == "100.0%"
