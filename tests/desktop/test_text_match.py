"""`--model text-match` on a real Tk window: the screen's text (real OCR) grounds the clicks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.desktop.conftest import deskpilot


def test_the_form_task_by_its_labels(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    result = deskpilot(
        "run",
        'type "Grace Hopper" into Name, then click Save',
        "--model",
        "text-match",
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    state = demo_app()
    assert state["saved"] == "Grace Hopper"
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    clicks = [s["call"]["arguments"] for s in steps if s.get("call", {}).get("name") == "click"]
    x, y, w, h = state["widgets"]["name"]
    assert x <= clicks[0]["x"] < x + w and y <= clicks[0]["y"] < y + h  # inside the Name field
    x, y, w, h = state["widgets"]["save"]
    assert x <= clicks[1]["x"] < x + w and y <= clicks[1]["y"] < y + h  # inside Save


def test_a_label_that_is_not_there_fails_and_says_what_is(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    result = deskpilot(
        "run",
        "click Delete",
        "--model",
        "text-match",
        "--run-dir",
        str(tmp_path / "run"),
        "--audit",
        str(audit),
    )
    assert result.returncode == 1, result.stderr
    assert "'Delete' is not on the screen" in result.stderr and "'Save'" in result.stderr
    records = [json.loads(line) for line in audit.open()]
    assert [r["tool"] for r in records if r["event"] == "execute"] == ["fail"]  # nothing clicked
    assert demo_app()["saved"] is None
