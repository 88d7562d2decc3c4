"""The embedded default model with no `--model`: it reads the real window's text (real OCR) beside
its image tokens and drives the demo form on Xvfb, judged by the window's own state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from tests.desktop.conftest import deskpilot


def _clicks(run_dir: Path) -> list[tuple[int, int]]:
    """Each click's point in screen pixels (the model answers in normalized 0-1000)."""
    steps = [json.loads(line) for line in (run_dir / "steps.jsonl").open()]
    points = []
    for step in steps:
        if step.get("call", {}).get("name") == "click":
            monitor = MonitorGeometry(**step["monitor"])
            args = step["call"]["arguments"]
            points.append(
                scale_coordinates(args["x"], args["y"], CoordinateSpace.normalized(), monitor)
            )
    return points


def test_the_embedded_model_fills_the_form_with_no_model_option(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    # one instruction a run: the model was trained on single tasks, not "... then ..."
    typing, saving = tmp_path / "type", tmp_path / "save"
    result = deskpilot("run", 'type "Grace Hopper" into Name', "--run-dir", str(typing))
    assert result.returncode == 0, result.stderr
    result = deskpilot("run", "click Save", "--run-dir", str(saving))
    assert result.returncode == 0, result.stderr
    state = demo_app()
    assert state["saved"] == "Grace Hopper"
    header = json.loads((saving / "steps.jsonl").open().readline())
    assert header["model"].replace("\\", "/").endswith("models/default")
    x, y, w, h = state["widgets"]["name"]
    (click_x, click_y), *_ = _clicks(typing)
    assert x <= click_x < x + w and y <= click_y < y + h  # inside the Name field
    x, y, w, h = state["widgets"]["save"]
    (click_x, click_y), *_ = _clicks(saving)
    assert x <= click_x < x + w and y <= click_y < y + h  # inside Save


def test_the_embedded_model_declines_what_is_not_on_the_screen(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    result = deskpilot(
        "run", "click Delete", "--run-dir", str(tmp_path / "run"), "--audit", str(audit)
    )
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in audit.open()]
    assert [r["tool"] for r in records if r["event"] == "execute"] == ["fail"]  # nothing clicked
    assert demo_app()["saved"] is None
