"""`deskpilot run --model tests/models/gemma4-tiny` end to end on Xvfb: the gemma4 family (Gemma 4
E2B/E4B's layout: genai's gemma4 processor, a vision encoder pooling 3x3 patches into soft tokens,
answers in 0-1000 on both axes scaled to the screen) drives the same real press board as the
other genai folders, through the whole agent loop: valid calls under guidance, the policy, the
driver and the audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from tests.desktop import test_genai_desktop as board  # the board, policy and checks


def test_a_gemma4_model_drives_a_real_window(launch: Callable[..., Any], tmp_path: Path) -> None:
    board.test_a_genai_model_drives_a_real_window(launch, tmp_path, "gemma4")
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
