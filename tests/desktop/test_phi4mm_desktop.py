"""`deskpilot run --model tests/models/phi4mm-tiny` end to end on Xvfb: the phi4mm family
(Phi-4-multimodal's layout: genai's phi4mm processor cutting the screenshot into 448-pixel crops
plus a global view, a SigLIP tower with Phi-4-mm's HD transform, a Phi-4-mini decoder, no speech
model; answers in 0-1000 on both axes scaled to the screen) drives the same real press board as
the other genai folders, through the whole agent loop: valid calls under guidance, the policy,
the driver and the audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from tests.desktop import test_genai_desktop as board  # the board, policy and checks


def test_a_phi4mm_model_drives_a_real_window(launch: Callable[..., Any], tmp_path: Path) -> None:
    board.test_a_genai_model_drives_a_real_window(launch, tmp_path, "phi4mm")
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    pointed = [s for s in steps if s["type"] == "step" and s["result"] and s["result"]["targets"]]
    assert pointed  # every step of this run points (a click of some kind)
    for step in pointed:
        screen = MonitorGeometry(
            **{k: step["monitor"][k] for k in ("left", "top", "width", "height")}
        )
        x, y = step["call"]["arguments"]["x"], step["call"]["arguments"]["y"]
        assert 0 <= x <= 1000 and 0 <= y <= 1000  # the model's space, not the screen's pixels
        point = scale_coordinates(x, y, CoordinateSpace.normalized(1000), screen)
        assert tuple(step["result"]["targets"][0]) == point
        # the whole screenshot went in as Phi-4-mm's image tokens (1280x800: 3x2 crops)
        assert step["model_stats"]["prompt_tokens"] > 1743
