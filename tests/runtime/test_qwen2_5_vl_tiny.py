"""The qwen2_5_vl family on a real (tiny, random-weight) genai folder laid out like genai's own:
genai's qwen processor smart-resizes the screenshot exactly as deskpilot's coordinate space says,
the vision graph and the 3-D mRoPE decoder run, and constrained decoding gives a valid call in
the model's image-pixel space."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime_genai as og
import pytest
from PIL import Image

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import CoordinateSpace
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.families import qwen_resized
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry

QWEN = Path(__file__).parents[1] / "models" / "qwen2_5_vl-tiny"
REGISTRY = ToolRegistry()


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(QWEN)


@pytest.fixture(scope="module")
def processor() -> Any:
    """genai's own qwen processor on the folder (what GenaiModel feeds the model)."""
    return og.Model(str(QWEN)).create_multimodal_processor()


def request(size: tuple[int, int] = (1280, 800)) -> ModelRequest:
    image = Image.new("RGB", size, (230, 233, 240))
    image.paste((40, 90, 160), (size[0] // 2, size[1] // 3, size[0] // 2 + 90, size[1] // 3 + 30))
    return ModelRequest(
        task="click Save",
        frame=Frame.from_image(image),
        history=(),
        tool_schema=REGISTRY.call_schema(),
        tool_prompt=tools_prompt(REGISTRY),
    )


def test_folder_is_laid_out_like_genais_qwen2_5_vl_folders() -> None:
    folder = ModelFolder.open(QWEN)
    model = folder.config["model"]
    assert model["type"] == "qwen2_5_vl"
    assert model["decoder"]["inputs"]["position_ids"] == "position_ids"  # 3-D mRoPE positions
    assert set(model["vision"]["inputs"]) == {"pixel_values", "image_grid_thw"}
    assert {"image_token_id", "video_token_id", "vision_start_token_id"} <= set(model)
    assert model["vision"]["config_filename"] == "processor_config.json"
    info = folder.info()
    assert info["quantization"] == "int4 (MatMulNBits)" and info["random_weights"] is True
    assert info["coordinate_space"] == "image pixels, 560x336"  # 1280x800, at most 256 tokens
    assert info["image_token_budget"] == 256
    assert info["size_mb"] < 4


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (800, 1280), (320, 200)])
def test_genais_processor_resizes_to_deskpilots_coordinate_space(
    model: GenaiModel, processor: Any, size: tuple[int, int]
) -> None:
    asked = request(size)
    space = model.coordinate_space(asked.frame)
    assert (space.kind, space.width, space.height) == (
        "image",
        *qwen_resized(*size, model.folder.processor),
    )
    inputs = processor(
        model.prompt(asked, space), images=og.Images.open_bytes(asked.frame.png_bytes())
    )
    t, h, w = (int(v) for v in inputs["image_grid_thw"].as_numpy()[0])
    assert (t, w * 14, h * 14) == (1, space.width, space.height)  # 14-pixel patches
    image_pad = model.folder.config["model"]["image_token_id"]
    pads = int((inputs["input_ids"].as_numpy() == image_pad).sum())
    assert pads == h * w // 4 <= 256  # one <|image_pad|> per 2x2 merged patch


def test_prompt_is_qwens_chat_format(model: GenaiModel) -> None:
    prompt = model.prompt(request(), CoordinateSpace.image(560, 336))
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    assert prompt.count("<|vision_start|><|image_pad|><|vision_end|>") == 1
    assert "560x336" in prompt


def test_constrained_decoding_gives_a_valid_call_in_image_pixels(model: GenaiModel) -> None:
    for size in ((1280, 800), (800, 1280)):
        asked = request(size)
        space = model.coordinate_space(asked.frame)
        reply = model.next_action(asked)
        call = REGISTRY.parse(reply.text)  # raises if invalid
        for x, y in call.action.points():
            assert 0 <= x < space.width and 0 <= y < space.height
        assert reply.stats["guided"] == 1.0 and reply.stats["truncated"] == 0.0
        assert reply.stats["prompt_tokens"] > space.width * space.height // (28 * 28)
