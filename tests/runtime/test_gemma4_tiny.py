"""The gemma4 family on a real (tiny, random-weight) genai folder laid out like genai's own gemma4
test folder: genai's gemma4 processor cuts the screenshot into 16-pixel patches, pooled 3x3 into
one soft token per 48x48 pixels (at most max_soft_tokens), expands <|image|> to that many tokens,
the vision graph and the decoder run, and constrained decoding gives a valid call in 0-1000."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import onnxruntime_genai as og
import pytest

from deskpilot.coords import CoordinateSpace
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from tests.runtime.test_qwen2_5_vl_tiny import REGISTRY, request

GEMMA4 = Path(__file__).parents[1] / "models" / "gemma4-tiny"


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(GEMMA4)


@pytest.fixture(scope="module")
def processor() -> Any:
    """genai's own gemma4 processor on the folder (what GenaiModel feeds the model)."""
    return og.Model(str(GEMMA4)).create_multimodal_processor()


def test_folder_is_laid_out_like_genais_gemma4_folders() -> None:
    folder = ModelFolder.open(GEMMA4)
    model = folder.config["model"]
    assert model["type"] == "gemma4"
    assert set(model["vision"]["inputs"]) == {"pixel_values", "pixel_position_ids"}
    assert model["vision"]["config_filename"] == "processor_config.json"
    assert folder.processor["processor"]["name"] == "gemma4_image_processor"
    info = folder.info()
    assert info["quantization"] == "int4 (MatMulNBits)" and info["random_weights"] is True
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"
    assert info["size_mb"] < 4
    assert info["image_token_budget"] == 280


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (800, 1280), (320, 200)])
def test_genais_processor_gives_one_soft_token_per_48_pixels(
    model: GenaiModel, processor: Any, size: tuple[int, int]
) -> None:
    asked = request(size)
    assert model.coordinate_space(asked.frame) == CoordinateSpace.normalized(1000)
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    inputs = processor(prompt, images=og.Images.open_bytes(asked.frame.png_bytes()))
    positions = inputs["pixel_position_ids"].as_numpy()[0]
    patches = positions.shape[0]
    assert inputs["pixel_values"].as_numpy().shape == (1, patches, 3 * 16 * 16)
    assert (positions >= 0).all()  # genai trimmed the transform's padding
    columns, rows = (int(positions[:, axis].max()) + 1 for axis in (0, 1))
    assert columns * rows == patches and columns % 3 == 0 and rows % 3 == 0
    assert math.isclose(columns / rows, size[0] / size[1], rel_tol=0.15)  # aspect ratio kept
    soft_tokens = patches // 9
    image_token = model.folder.config["model"].get("image_token_id") or 8  # <|image|>
    ids = inputs["input_ids"].as_numpy()
    assert int((ids == image_token).sum()) == soft_tokens <= 280
    assert soft_tokens > 200 or size == (320, 200)  # the budget is used, not wasted


def test_prompt_is_gemma4s_chat_format_in_0_1000(model: GenaiModel) -> None:
    asked = request()
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    assert prompt.startswith("<bos><|turn>system\n") and prompt.endswith("<|turn>model\n")
    assert prompt.count("<|image|>") == 1
    assert "0-1000" in prompt


def test_constrained_decoding_gives_a_valid_call_in_0_1000(model: GenaiModel) -> None:
    for size in ((1280, 800), (800, 1280)):
        reply = model.next_action(request(size))
        call = REGISTRY.parse(reply.text)  # raises if invalid
        for x, y in call.action.points():
            assert 0 <= x <= 1000 and 0 <= y <= 1000
        assert reply.stats["guided"] == 1.0 and reply.stats["truncated"] == 0.0
