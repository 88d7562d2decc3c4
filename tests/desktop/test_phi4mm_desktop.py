"""`deskpilot run --model tests/models/phi4mm-tiny` end to end on Xvfb: the phi4mm family
(Phi-4-multimodal's layout: genai's phi4mm processor cutting the screenshot into 448-pixel crops
plus a global view, a SigLIP tower with Phi-4-mm's HD transform, a Phi-4-mini decoder; answers
in 0-1000 on both axes scaled to the screen) drives the same real press board as the other genai
folders, through the whole agent loop: valid calls under guidance, the policy, the driver and the
audit; and with the task spoken (`deskpilot run --audio`, an espeak-ng WAV through its speech
model), the same."""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from tests.desktop import test_genai_desktop as board  # the board, policy and checks
from tests.desktop.conftest import deskpilot, wait_until
from tests.desktop.test_gemma4_audio_desktop import open_board
from tests.speech import needs_espeak, spoken_wav


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


@needs_espeak
def test_a_spoken_task_drives_a_real_window_through_phi4mm(
    launch: Callable[..., Any], tmp_path: Path
) -> None:
    state, options = open_board(launch, tmp_path)
    wav = spoken_wav(tmp_path / "task.wav")
    result = deskpilot(
        "run", "--audio", str(wav), "--model", str(board.MODELS / "phi4mm-tiny"), *options
    )
    assert result.returncode == 4 and "step budget of 3 is used up" in result.stderr, result.stderr
    assert f"the task spoken in {wav}" in result.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    header, steps = records[0], [r for r in records if r["type"] == "step"]
    assert header["type"] == "run" and header["task"] == "" and header["audio"] == str(wav)
    assert len(steps) == 3 and records[-1]["type"] == "end"
    for step in steps:
        assert step["call"] is not None, step["raw_output"]  # constrained decoding: always valid
        assert step["model_stats"]["guided"] == 1.0
    # every step heard the task: its prompt holds the clip's <|endoftext11|> tokens (12.5 a
    # second: one per 8 log-mel frames) beside the screenshot's
    with wave.open(str(wav)) as said:
        seconds = said.getnframes() / said.getframerate()
    heard = {s["model_stats"]["audio_tokens"] for s in steps}
    assert len(heard) == 1 and abs(heard.pop() - seconds * 100 / 8) <= 1
    assert all(s["model_stats"]["prompt_tokens"] > 1743 + 10 for s in steps)
    expected = board.presses_on_board(steps, state)
    wait_until(
        lambda: len(json.loads(state.read_text())["presses"]) >= expected,
        timeout=5,
        message="the presses reach the board",
    )
    assert len(json.loads(state.read_text())["presses"]) == expected
