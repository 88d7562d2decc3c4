"""A task given as speech on a real (tiny, random-weight) phi4mm folder with a speech model, laid
out like Microsoft's Phi-4-multimodal-instruct-onnx: an espeak-ng WAV goes through genai's own
phi4mm processor (onnxruntime-extensions' Phi-4 log-mel, 80 bins every 10 ms at 16 kHz; the
prompt's <|audio_1|> becomes ceil(frames / 8) <|endoftext11|> tokens), the speech graph (with the
vision projection beside a screenshot) and the embedding graph into the same prompt as the
screenshot, and constrained decoding still gives a valid call. Random weights: the path, not
understanding."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import onnxruntime as ort
import onnxruntime_genai as og
import pytest

from deskpilot.runtime.base import TaskAudio, takes_audio
from deskpilot.runtime.families import family_for
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from tests.runtime.test_qwen2_5_vl_tiny import REGISTRY, request
from tests.speech import needs_espeak, spoken_wav

PHI4MM = Path(__file__).parents[1] / "models" / "phi4mm-tiny"
IMAGE_TOKEN_ID, AUDIO_TOKEN_ID = 200010, 200011  # hard-coded in genai's phi4mm processor
VISION_SPEECH, SPEECH = 3, 2  # genai's audio_projection_mode with and without an image

pytestmark = needs_espeak


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(PHI4MM)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> TaskAudio:
    return TaskAudio.from_file(spoken_wav(tmp_path_factory.mktemp("speech") / "task.wav"))


def soft_tokens(frames: int) -> int:
    """Phi-4-mm's count: the audio encoder's three stride-2 convolutions, ceil(frames / 8)."""
    return -(-frames // 8)


def test_the_folder_has_genais_phi4mm_speech_pipeline() -> None:
    folder = ModelFolder.open(PHI4MM)
    speech = folder.config["model"]["speech"]
    assert speech["filename"] == "speech.onnx"
    assert speech["config_filename"] == "speech_processor.json"
    assert speech["inputs"] == {
        "audio_embeds": "audio_embeds",
        "attention_mask": "audio_attention_mask",
        "audio_sizes": "audio_sizes",
        "audio_projection_mode": "audio_projection_mode",
    }
    assert speech["outputs"] == {"audio_features": "audio_features"}
    extractor = (PHI4MM / speech["config_filename"]).read_text()
    assert '"Phi4AudioEmbed"' in extractor and '"phi4-audio-aligner"' in extractor
    assert folder.config["model"]["embedding"]["inputs"]["audio_features"] == "audio_features"
    assert folder.audio_input and folder.info()["audio_input"] is True
    assert (PHI4MM / "speech.onnx").stat().st_size < 1_000_000  # fp32, one conformer block


def test_the_speech_graph_takes_any_clip_length_and_both_projections() -> None:
    session = ort.InferenceSession(str(PHI4MM / "speech.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == ["audio_embeds", "audio_attention_mask", "audio_sizes", "audio_projection_mode"]
    rng = np.random.default_rng(0)
    for frames in (9, 143, 401):
        feeds = {
            "audio_embeds": rng.uniform(0, 20, (1, frames, 80)).astype(np.float32),
            "audio_attention_mask": np.ones((1, frames), bool),
            "audio_sizes": np.array([soft_tokens(frames)]),
            "audio_projection_mode": np.array([VISION_SPEECH]),
        }
        vision = session.run(None, feeds)[0]
        assert vision.shape == (soft_tokens(frames), 128)  # [N, decoder hidden]
        feeds["audio_projection_mode"] = np.array([SPEECH])
        speech = session.run(None, feeds)[0]
        assert speech.shape == vision.shape and np.abs(speech - vision).max() > 1e-3


def test_the_family_counts_the_token_genai_expands_the_tag_to() -> None:
    family = family_for("phi4mm")
    assert family.audio_tag == "<|audio_1|>" and family.audio_token == "<|endoftext11|>"


def test_the_spoken_task_goes_into_the_prompt_beside_the_screenshot(
    model: GenaiModel, spoken: TaskAudio
) -> None:
    assert takes_audio(model)
    asked = dataclasses.replace(request(), task="", audio=spoken)
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    assert prompt.count("<|audio_1|>") == 1 and prompt.count("<|image_1|>") == 1
    assert prompt.index("Task: <|audio_1|>") < prompt.index("<|image_1|>")
    inputs = model._processor(
        prompt,
        images=og.Images.open_bytes(asked.frame.png_bytes()),
        audios=og.Audios.open_bytes(spoken.wav),
    )
    frames = inputs["audio_embeds"].as_numpy().shape[1]
    assert inputs["audio_embeds"].as_numpy().shape == (1, frames, 80)  # 80 mel bins
    assert inputs["audio_attention_mask"].as_numpy().all()
    # espeak-ng's 22,050 Hz is resampled to 16 kHz: 25 ms frames every 10 ms
    assert abs(frames - spoken.seconds * 100) < 5
    sizes = inputs["audio_sizes"].as_numpy().tolist()
    assert sizes == [soft_tokens(frames)]
    ids = inputs["input_ids"].as_numpy()[0]
    assert int((ids == AUDIO_TOKEN_ID).sum()) == sizes[0]
    assert int((ids == IMAGE_TOKEN_ID).sum()) == int(inputs["num_image_tokens"].as_numpy().sum())
    heard = np.flatnonzero(ids == AUDIO_TOKEN_ID)
    assert heard[-1] - heard[0] == sizes[0] - 1  # one run, before the screenshot's
    assert heard[-1] < np.flatnonzero(ids == IMAGE_TOKEN_ID)[0]
    assert inputs["audio_projection_mode"].as_numpy().tolist() == [VISION_SPEECH]


def test_a_step_with_the_spoken_task_gives_a_valid_call(
    model: GenaiModel, spoken: TaskAudio
) -> None:
    written = model.next_action(request())
    asked = dataclasses.replace(request(), task="", audio=spoken)
    reply = model.next_action(asked)
    call = REGISTRY.parse(reply.text)
    assert call.name in REGISTRY.names()
    assert reply.stats["guided"] == 1.0
    # the clip's soft tokens, counted by the token genai expands <|audio_1|> to
    frames = round(spoken.seconds * 100)
    assert abs(reply.stats["audio_tokens"] - soft_tokens(frames)) <= 1
    assert "audio_tokens" not in written.stats
    heard = reply.stats["prompt_tokens"] - written.stats["prompt_tokens"]
    assert heard > reply.stats["audio_tokens"] - 10  # the task's few words gave way to the audio
    both = model.next_action(dataclasses.replace(asked, task="in the Notes window"))
    assert both.stats["prompt_tokens"] > reply.stats["prompt_tokens"]
    assert both.stats["audio_tokens"] == reply.stats["audio_tokens"]
