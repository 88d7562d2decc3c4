"""The qwen3_vl family on a real (tiny, random-weight) genai folder laid out like genai's own
qwen3-vl test folder: genai's qwen processor smart-resizes the screenshot to multiples of 32
(16-pixel patches, 2x2 merged), the vision graph and the interleaved-mRoPE decoder run, and
constrained decoding gives a valid call in 0-1000 on both axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime_genai as og
import pytest

from deskpilot.coords import CoordinateSpace
from deskpilot.runtime.families import qwen_resized
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from tests.runtime.test_qwen2_5_vl_tiny import REGISTRY, request

QWEN3 = Path(__file__).parents[1] / "models" / "qwen3_vl-tiny"


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(QWEN3)


@pytest.fixture(scope="module")
def processor() -> Any:
    """genai's own qwen processor on the folder (what GenaiModel feeds the model)."""
    return og.Model(str(QWEN3)).create_multimodal_processor()


def test_folder_is_laid_out_like_genais_qwen3_vl_folders() -> None:
    folder = ModelFolder.open(QWEN3)
    model = folder.config["model"]
    assert model["type"] == "qwen3_vl"
    assert model["decoder"]["inputs"]["position_ids"] == "position_ids"  # 3-D mRoPE positions
    assert set(model["vision"]["inputs"]) == {"pixel_values", "image_grid_thw"}
    assert model["vision"]["patch_size"] == 16 and model["vision"]["spatial_merge_size"] == 2
    assert folder.processor["processor"]["name"] == "qwen3_vl_image_processor"
    info = folder.info()
    assert info["quantization"] == "int4 (MatMulNBits)" and info["random_weights"] is True
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"
    assert info["size_mb"] < 4
    assert info["image_token_budget"] == 256  # max_pixels over (16 x 2)^2: its own patch size


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (800, 1280), (320, 200)])
def test_genais_processor_resizes_as_the_family_reads_its_config(
    model: GenaiModel, processor: Any, size: tuple[int, int]
) -> None:
    asked = request(size)
    space = model.coordinate_space(asked.frame)
    assert space == CoordinateSpace.normalized(1000)
    inputs = processor(
        model.prompt(asked, space), images=og.Images.open_bytes(asked.frame.png_bytes())
    )
    t, h, w = (int(v) for v in inputs["image_grid_thw"].as_numpy()[0])
    width, height = qwen_resized(*size, model.folder.processor)
    assert (t, w * 16, h * 16) == (1, width, height)  # 16-pixel patches
    assert width % 32 == 0 and height % 32 == 0
    image_pad = model.folder.config["model"]["image_token_id"]
    pads = int((inputs["input_ids"].as_numpy() == image_pad).sum())
    assert pads == h * w // 4 <= 256  # one <|image_pad|> per 2x2 merged patch


def test_prompt_is_qwens_chat_format_in_0_1000(model: GenaiModel) -> None:
    asked = request()
    prompt = model.prompt(asked, model.coordinate_space(asked.frame))
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    assert prompt.count("<|vision_start|><|image_pad|><|vision_end|>") == 1
    assert "0-1000" in prompt


def test_constrained_decoding_gives_a_valid_call_in_0_1000(model: GenaiModel) -> None:
    for size in ((1280, 800), (800, 1280)):
        reply = model.next_action(request(size))
        call = REGISTRY.parse(reply.text)  # raises if invalid
        for x, y in call.action.points():
            assert 0 <= x <= 1000 and 0 <= y <= 1000
        assert reply.stats["guided"] == 1.0 and reply.stats["truncated"] == 0.0
