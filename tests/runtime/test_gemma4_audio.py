"""A task given as speech, on a real (tiny, random-weight) gemma4 folder with a speech model: an
espeak-ng WAV goes through genai's own gemma4 processor (log-mel features, one `<|audio|>`
expanded to the clip's soft tokens), the speech graph and the embedding graph into the same prompt
as the screenshot, and constrained decoding still gives a valid call. Models without a speech
model refuse audio with a usage error before any step. Random weights: the path, not
understanding."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path
from typing import Any

import onnxruntime_genai as og
import pytest

from deskpilot.errors import UsageError
from deskpilot.runtime.base import TaskAudio, require_audio, takes_audio
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from deskpilot.runtime.scripted import ScriptedModel
from deskpilot.runtime.textmatch import TextMatchModel
from tests.runtime.test_qwen2_5_vl_tiny import REGISTRY, request
from tests.speech import needs_espeak, spoken_wav

MODELS = Path(__file__).parents[1] / "models"
GEMMA4 = MODELS / "gemma4-tiny"

pytestmark = needs_espeak


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(GEMMA4)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> TaskAudio:
    return TaskAudio.from_file(spoken_wav(tmp_path_factory.mktemp("speech") / "task.wav"))


def token_id(model: GenaiModel, token: str) -> int:
    ids = list(model._tokenizer.encode(token))
    assert len(ids) == 1, (token, ids)
    return int(ids[0])


def test_the_folder_has_genais_gemma4_speech_pipeline() -> None:
    folder = ModelFolder.open(GEMMA4)
    speech = folder.config["model"]["speech"]
    assert speech["filename"] == "speech.onnx"
    assert (GEMMA4 / speech["config_filename"]).is_file()
    assert folder.config["model"]["embedding"]["inputs"]["audio_features"] == "audio_features"
    assert folder.audio_input and folder.info()["audio_input"] is True


def test_a_wav_is_read_and_checked(spoken: TaskAudio) -> None:
    assert spoken.wav[:4] == b"RIFF" and 0.5 < spoken.seconds < 5


def test_the_spoken_task_goes_into_the_prompt_beside_the_screenshot(
    model: GenaiModel, spoken: TaskAudio
) -> None:
    asked = dataclasses.replace(request(), task="", audio=spoken)
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    assert prompt.count("<|audio|>") == 1 and prompt.count("<|image|>") == 1
    assert prompt.index("Task: <|audio|>") < prompt.index("<|image|>")
    processor = model._processor
    inputs = processor(
        prompt,
        images=og.Images.open_bytes(asked.frame.png_bytes()),
        audios=og.Audios.open_bytes(spoken.wav),
    )
    frames = inputs["audio_embeds"].as_numpy().shape[1]
    assert inputs["audio_embeds"].as_numpy().shape == (1, frames, 128)  # 128 mel bins
    ids = inputs["input_ids"].as_numpy()[0]
    expected = ((frames - 1) // 2) // 2 + 1  # two stride-2 convolutions
    assert int((ids == token_id(model, "<|audio|>")).sum()) == expected
    assert int(inputs["audio_sizes"].as_numpy()[0]) == expected
    assert int((ids == token_id(model, "<|audio>")).sum()) == 1
    assert int((ids == token_id(model, "<|image|>")).sum()) > 0  # and the screenshot too
    # about 100 log-mel frames a second of speech
    assert abs(frames - spoken.seconds * 100) < 5


def test_a_step_with_the_spoken_task_gives_a_valid_call(
    model: GenaiModel, spoken: TaskAudio
) -> None:
    written = model.next_action(request())
    asked = dataclasses.replace(request(), task="", audio=spoken)
    reply = model.next_action(asked)
    call = REGISTRY.parse(reply.text)
    assert call.name in REGISTRY.names()
    assert reply.stats["guided"] == 1.0
    # the audio's soft tokens (+ its markers) are in the prompt, the written task's words are not
    heard = reply.stats["prompt_tokens"] - written.stats["prompt_tokens"]
    assert heard > reply.stats["audio_tokens"] > spoken.seconds * 20
    assert "audio_tokens" not in written.stats
    both = model.next_action(dataclasses.replace(asked, task="in the Notes window"))
    assert both.stats["prompt_tokens"] > reply.stats["prompt_tokens"]


def test_a_model_without_a_speech_model_refuses_audio(spoken: TaskAudio) -> None:
    deaf = GenaiModel(MODELS / "gemma4_unified-tiny")  # its speech block is genai's "none"
    assert not deaf.audio_input and not takes_audio(deaf)
    assert "no speech model" in deaf.audio_refusal
    with pytest.raises(UsageError, match="this model takes no audio"):
        require_audio(deaf, spoken.source)
    with pytest.raises(UsageError, match="this model takes no audio"):
        deaf.next_action(dataclasses.replace(request(), audio=spoken))
    deaf.close()


@pytest.mark.parametrize("backend", ["scripted", "text-match"])
def test_the_other_backends_refuse_audio(backend: str, spoken: TaskAudio, tmp_path: Path) -> None:
    chosen: Any
    if backend == "scripted":
        plan = tmp_path / "plan.jsonl"
        plan.write_text('{"name": "done", "arguments": {}}\n')
        chosen = ScriptedModel.from_file(plan)
    else:
        chosen = TextMatchModel()
    assert not takes_audio(chosen)
    with pytest.raises(UsageError, match=f"this model takes no audio: {chosen.name}") as refused:
        require_audio(chosen, spoken.source)
    assert chosen.audio_refusal in str(refused.value)


def test_bad_audio_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the task audio"):
        TaskAudio.from_file(tmp_path / "missing.wav")
    text = tmp_path / "task.wav"
    text.write_text("click the save button\n")
    with pytest.raises(UsageError, match="is not a WAV file"):
        TaskAudio.from_file(text)
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as handle:  # a header and no samples
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
    with pytest.raises(UsageError, match="is empty"):
        TaskAudio.from_file(empty)
