"""`deskpilot run --audio TASK.wav --model tests/models/gemma4-tiny` end to end on Xvfb: the task
is spoken (an espeak-ng WAV), genai's gemma4 processor puts the audio into every step's prompt
beside the screenshot, and the tiny random-weight model drives the same real press board as the
written-task runs: valid calls under guidance, the policy, the driver. A model that takes no
audio, a file that is not a WAV, or no task at all is a usage error before anything reaches the
screen."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.desktop.conftest import deskpilot, wait_until
from tests.desktop.test_genai_desktop import BOARD, MODELS, POLICY, presses_on_board
from tests.speech import MIC, needs_arecord, needs_espeak, speaking_microphone, spoken_wav

pytestmark = needs_espeak


def open_board(launch: Callable[..., Any], tmp_path: Path) -> tuple[Path, list[str]]:
    """The press board, up; its state file and the run options (policy, run directory)."""
    state = tmp_path / "board.json"
    launch(sys.executable, "-c", BOARD, str(state))
    wait_until(lambda: state.exists(), message="the press board")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    return state, ["--policy", str(policy), "--run-dir", str(tmp_path / "run")]


def test_a_spoken_task_drives_a_real_window(launch: Callable[..., Any], tmp_path: Path) -> None:
    state, options = open_board(launch, tmp_path)
    wav = spoken_wav(tmp_path / "task.wav")
    result = deskpilot("run", "--audio", str(wav), "--model", str(MODELS / "gemma4-tiny"), *options)
    assert result.returncode == 4 and "step budget of 3 is used up" in result.stderr, result.stderr
    assert f"the task spoken in {wav}" in result.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    header, steps = records[0], [r for r in records if r["type"] == "step"]
    assert header["type"] == "run" and header["task"] == "" and header["audio"] == str(wav)
    assert len(steps) == 3 and records[-1]["type"] == "end"
    for step in steps:
        assert step["call"] is not None, step["raw_output"]  # constrained decoding: always valid
        assert step["model_stats"]["guided"] == 1.0
    # every step heard the task: its prompt holds the clip's soft tokens (25 a second)
    heard = {s["model_stats"]["audio_tokens"] for s in steps}
    assert len(heard) == 1 and heard.pop() > 20
    expected = presses_on_board(steps, state)
    assert expected >= 1
    wait_until(
        lambda: len(json.loads(state.read_text())["presses"]) >= expected,
        timeout=5,
        message="the presses reach the board",
    )
    assert len(json.loads(state.read_text())["presses"]) == expected


def test_audio_that_cannot_be_heard_is_refused_before_the_screen(
    launch: Callable[..., Any], tmp_path: Path
) -> None:
    state, options = open_board(launch, tmp_path)
    wav = spoken_wav(tmp_path / "task.wav")
    not_wav = tmp_path / "task.txt"
    not_wav.write_text("click the save button\n")
    refusals = {
        "this model takes no audio: genai:": ("--audio", str(wav)),  # the embedded default model
        f"{not_wav} is not a WAV file": ("--audio", str(not_wav), "--model", "text-match"),
        "cannot read the task audio": ("--audio", str(tmp_path / "gone.wav")),
        "give the task in words (TASK) or as speech": (),
    }
    for message, arguments in refusals.items():
        result = deskpilot("run", *arguments, *options)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in " ".join(result.stderr.split()), result.stderr
        assert not (tmp_path / "run" / "steps.jsonl").exists()  # no step, no screenshot
    assert json.loads(state.read_text())["presses"] == []


@needs_arecord
def test_a_task_said_to_the_microphone_drives_a_real_window(
    launch: Callable[..., Any], tmp_path: Path
) -> None:
    state, options = open_board(launch, tmp_path)
    env, _ = speaking_microphone(tmp_path)
    tiny = str(MODELS / "gemma4-tiny")
    result = deskpilot(
        "run", "--listen", "--mic", MIC, "--listen-seconds", "3", "--model", tiny, *options, env=env
    )
    assert (
        result.returncode == 4 and "listening for 3 s on the microphone (spoken)" in result.stderr
    )
    recorded = tmp_path / "run" / "task.wav"
    assert f"the task spoken in {recorded} (" in result.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    # the words kept, the silence after them cut (espeak-ng says them in about 1.5 s)
    assert records[0]["audio"] == str(recorded) and 1 < records[0]["audio_seconds"] < 2.5
    steps = [r for r in records if r["type"] == "step"]
    assert len(steps) == 3 and all(s["model_stats"]["audio_tokens"] > 20 for s in steps)
    assert json.loads(state.read_text())["presses"]  # the run reached the board


@needs_arecord
def test_listening_is_refused_before_recording_when_the_model_cannot_hear(
    launch: Callable[..., Any], tmp_path: Path
) -> None:
    state, options = open_board(launch, tmp_path)
    env, _ = speaking_microphone(tmp_path)
    refusals = {
        "this model takes no audio: genai:": ("--listen", "--mic", MIC),  # the default model
        "as --audio TASK.wav or --listen, not both": ("--listen", "--audio", "x.wav"),
        "cannot record from the microphone 'nosuchmic'": (
            *("--listen", "--mic", "nosuchmic", "--model", str(MODELS / "gemma4-tiny")),
        ),
    }
    for message, arguments in refusals.items():
        result = deskpilot("run", *arguments, *options, env=env)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in " ".join(result.stderr.split()), result.stderr
        assert not (tmp_path / "run" / "steps.jsonl").exists()
        assert not (tmp_path / "run" / "task.wav").exists()  # nothing was recorded
    assert json.loads(state.read_text())["presses"] == []
