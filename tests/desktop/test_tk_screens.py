"""Real Tk screens for the eval suite: ground truth read back from the widgets."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from deskpilot.data.tasks import lands_inside, random_samples
from deskpilot.data.tkscreens import tk_screens
from deskpilot.data.vocab import Vocabulary
from deskpilot.xvfb import VirtualDisplay


def test_tk_screens_have_widgets_where_tk_says(display: VirtualDisplay) -> None:
    screens = list(tk_screens(3, "heldout", seed=2))
    assert len(screens) == 3
    rng = random.Random(0)
    for screen in screens:
        assert len(screen.elements) >= 4
        pixels = np.asarray(screen.image.convert("L"), dtype=np.float32)
        for element in screen.elements:
            x0, y0, x1, y1 = element.box
            assert 0 <= x0 < x1 < screen.image.width and 0 <= y0 < y1 < screen.image.height
            assert pixels[y0 : y1 + 1, x0 : x1 + 1].std() > 3, element  # something is drawn there
        for sample in random_samples(screen, rng, Vocabulary("heldout", rng), 6):
            if sample.box is not None:
                assert lands_inside(sample.target, sample.box, screen.image.size)


def test_tk_screens_look_the_same_on_every_run(display: VirtualDisplay) -> None:
    """The Tk suite repeats exactly: same seed, same pixels (the tray shows no clock)."""
    first = [s.image.tobytes() for s in tk_screens(2, "heldout", seed=5)]
    again = [s.image.tobytes() for s in tk_screens(2, "heldout", seed=5)]
    assert first == again
    command = display.window_manager_command
    if command and Path(command[0]).name == "jwm":
        assert "<Clock" not in Path(command[command.index("-f") + 1]).read_text(encoding="utf-8")
