"""Qwen3-VL's coordinate space is 0-1000 on both axes, whatever the screenshot was resized to; its
processor config (genai's qwen3-vl layout: 16-pixel patches) resizes to multiples of 32."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.errors import ActionFailed
from deskpilot.runtime.families import family_for, qwen_resized, resize_attrs
from deskpilot.runtime.folder import ModelFolder
from tests.unit.test_qwen_coordinates import genai_qwen25_processor


def genai_qwen3_processor(max_pixels: int = 12845056) -> dict[str, Any]:
    """processor_config.json as genai's own qwen3-vl test folder has it (ort-extensions format)."""
    config = genai_qwen25_processor(max_pixels, patch_size=16)
    config["processor"]["name"] = "qwen3_vl_image_processor"
    normalize = config["processor"]["transforms"][4]["operation"]
    normalize["attrs"] = {"mean": [0.5] * 3, "std": [0.5] * 3, "qwen3_vl": 1}
    return config


def test_the_space_is_normalized_whatever_the_processor() -> None:
    family = family_for("qwen3_vl")
    for processor in (genai_qwen3_processor(), genai_qwen3_processor(262144), {}):
        assert family.space(1920, 1080, processor) == CoordinateSpace.normalized(1000)


def test_a_click_lands_where_the_model_pointed() -> None:
    space = family_for("qwen3_vl").space(1920, 1080, genai_qwen3_processor())
    monitor = MonitorGeometry(left=0, top=0, width=1920, height=1080)
    assert scale_coordinates(500, 500, space, monitor) == (960, 540)  # not pixels of 1920x1088
    assert scale_coordinates(0, 0, space, monitor) == (0, 0)
    assert scale_coordinates(1000, 1000, space, monitor) == (1919, 1079)  # 1000 is the far edge


def test_a_second_monitor_is_offset() -> None:
    space = family_for("qwen3_vl").space(1280, 800, genai_qwen3_processor())
    monitor = MonitorGeometry(left=1920, top=0, width=1280, height=800)
    assert scale_coordinates(250, 750, space, monitor) == (1920 + 320, 600)


def test_a_point_beyond_1000_is_refused() -> None:
    space = family_for("qwen3_vl").space(1280, 800, {})
    with pytest.raises(ActionFailed):
        scale_coordinates(1001, 10, space, MonitorGeometry(left=0, top=0, width=1280, height=800))


def test_the_smart_resize_goes_to_multiples_of_32() -> None:
    attrs = resize_attrs(genai_qwen3_processor())
    assert (attrs["patch_size"], attrs["merge_size"]) == (16, 2)
    assert qwen_resized(1920, 1080, genai_qwen3_processor()) == (1920, 1088)
    # 256 tokens of 32x32 at most: 1280x800 becomes 640x384 (20x12 merged patches, 240 tokens)
    assert qwen_resized(1280, 800, genai_qwen3_processor(256 * 32 * 32)) == (640, 384)


def test_the_template_is_qwens() -> None:
    family = family_for("qwen3_vl")
    prompt = family.render("be brief", "click Save")
    assert prompt == (
        "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nclick Save<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert family.image_tag == "<|vision_start|><|image_pad|><|vision_end|>"
    assert family.end_markers == ("<|im_end|>",) and family.action_format == "deskpilot"


def test_a_genai_qwen3_folder_reads_processor_config_json(tmp_path: Path) -> None:
    """As genai's qwen3-vl test folder: processor_config.json, read by its fixed name."""
    model = {
        "type": "qwen3_vl",
        "decoder": {"filename": "dummy_text.onnx"},
        "embedding": {"filename": "dummy_embedding.onnx"},
        "vision": {"filename": "dummy_vision.onnx", "spatial_merge_size": 2, "patch_size": 16},
    }
    (tmp_path / "genai_config.json").write_text(json.dumps({"model": model}))
    for name in ("dummy_text.onnx", "dummy_embedding.onnx", "dummy_vision.onnx"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "processor_config.json").write_text(json.dumps(genai_qwen3_processor()))
    folder = ModelFolder.open(tmp_path)
    assert folder.family.model_type == "qwen3_vl"
    assert resize_attrs(folder.processor)["patch_size"] == 16
    assert folder.info()["coordinate_space"] == "normalized 0-1000 on both axes"
