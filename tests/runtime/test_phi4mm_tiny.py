"""The phi4mm family on a real (tiny, random-weight) genai folder laid out like Microsoft's
Phi-4-multimodal-instruct-onnx: genai's phi4mm processor cuts the screenshot into 448-pixel crops
plus a global view and expands <|image_1|> into that many <|endoftext10|> tokens, the vision graph
(SigLIP, 2x2 pooling, HD transform, projection), the embedding graph and the builder's Phi-4-mini
decoder run (no audio in these prompts: its speech model is tested in test_phi4mm_audio), and
constrained decoding gives a valid call in 0-1000."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import onnxruntime_genai as og
import pytest

from deskpilot.coords import CoordinateSpace
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from tests.runtime.test_qwen2_5_vl_tiny import REGISTRY, request
from tests.unit.test_phi4mm_family import crop_grid, image_tokens

PHI4MM = Path(__file__).parents[1] / "models" / "phi4mm-tiny"
IMAGE_TOKEN_ID = 200010  # <|endoftext10|>, hard-coded in genai's phi4mm processor


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(PHI4MM)


@pytest.fixture(scope="module")
def processor() -> Any:
    """genai's own phi4mm processor on the folder (what GenaiModel feeds the model)."""
    return og.Model(str(PHI4MM)).create_multimodal_processor()


def test_folder_is_laid_out_like_phi4_multimodal_instruct_onnx() -> None:
    folder = ModelFolder.open(PHI4MM)
    model = folder.config["model"]
    assert model["type"] == "phi4mm"
    assert model["vision"]["inputs"] == {
        "pixel_values": "pixel_values",
        "image_sizes": "image_sizes",
        "attention_mask": "image_attention_mask",
    }
    assert model["vision"]["config_filename"] == "vision_processor.json"
    assert model["speech"]["filename"] == "speech.onnx"  # the audio path: test_phi4mm_audio
    assert set(model["embedding"]["inputs"]) == {"input_ids", "image_features", "audio_features"}
    assert folder.processor["processor"]["name"] == "phi_4_vision_processor"
    info = folder.info()
    assert info["quantization"] == "int4 (MatMulNBits)" and info["random_weights"] is True
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"
    assert info["size_mb"] < 4
    vocabulary = json.loads((PHI4MM / "tokenizer.json").read_text())["model"]["vocab"]
    assert vocabulary["<|endoftext10|>"] == IMAGE_TOKEN_ID  # far above the decoder's vocabulary
    assert model["vocab_size"] < IMAGE_TOKEN_ID


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (800, 1280), (320, 200)])
def test_genais_processor_gives_phi4s_crops_and_token_count(
    model: GenaiModel, processor: Any, size: tuple[int, int]
) -> None:
    asked = request(size)
    assert model.coordinate_space(asked.frame) == CoordinateSpace.normalized(1000)
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    inputs = processor(prompt, images=og.Images.open_bytes(asked.frame.png_bytes()))
    across, down = crop_grid(*size, 36)
    crops = 1 + across * down  # the global view first
    assert inputs["pixel_values"].as_numpy().shape == (1, crops, 3, 448, 448)
    assert inputs["image_sizes"].as_numpy().tolist() == [[down * 448, across * 448]]
    assert inputs["image_attention_mask"].as_numpy().shape == (1, crops, 32, 32)
    count = int(inputs["num_image_tokens"].as_numpy().sum())
    ids = inputs["input_ids"].as_numpy()
    assert int((ids == IMAGE_TOKEN_ID).sum()) == count == image_tokens(*size)
    assert prompt.count("<|image_1|>") == 1


def test_prompt_is_phi4s_chat_format_in_0_1000(model: GenaiModel) -> None:
    asked = request()
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    assert prompt.startswith("<|system|>") and prompt.endswith("<|end|><|assistant|>")
    assert prompt.count("<|image_1|>") == 1 and "<|user|>Task: click Save" in prompt
    assert "0-1000" in prompt


def test_constrained_decoding_gives_a_valid_call_in_0_1000(model: GenaiModel) -> None:
    for size in ((1280, 800), (800, 1280)):
        reply = model.next_action(request(size))
        call = REGISTRY.parse(reply.text)  # raises if invalid
        for x, y in call.action.points():
            assert 0 <= x <= 1000 and 0 <= y <= 1000
        assert reply.stats["guided"] == 1.0 and reply.stats["truncated"] == 0.0


def test_the_build_probe_reproduces() -> None:
    """The greedy tokens build_info.json recorded (its fixed prompt and screenshot) come back."""
    from training.tinymodels.common import screenshot_png  # PIL only: no build extra needed

    probe = json.loads((PHI4MM / "build_info.json").read_text())["probe"]
    genai = og.Model(str(PHI4MM))
    inputs = genai.create_multimodal_processor()(
        probe["prompt"], images=og.Images.open_bytes(screenshot_png())
    )
    wanted = probe["greedy_tokens"]
    params = og.GeneratorParams(genai)
    prompt_tokens = int(inputs["input_ids"].as_numpy().shape[1])
    params.set_search_options(do_sample=False, max_length=prompt_tokens + len(wanted))
    generator = og.Generator(genai, params)
    generator.set_inputs(inputs)
    tokens: list[int] = []
    while not generator.is_done() and len(tokens) < len(wanted):
        generator.generate_next_token()
        tokens.append(int(generator.get_next_tokens()[0]))
    assert tokens == wanted
