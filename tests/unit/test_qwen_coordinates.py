"""Qwen2.5-VL's coordinate space comes from the processor config as onnxruntime-genai lays it out.

genai (ort-extensions) nests the smart-resize settings inside the transform pipeline; read at the
top level they were missed, the default budget (1280 * 28 * 28 pixels) was assumed, and a 1920x1080
screen was taken as 1316x728 instead of the 1932x1092 the model saw: every click ~1.5x off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.runtime.families import family_for, qwen_resized, resize_attrs
from deskpilot.runtime.folder import ModelFolder


def genai_qwen25_processor(max_pixels: int = 12845056, patch_size: int = 14) -> dict[str, Any]:
    """processor_config.json as genai's Qwen2.5-VL folders have it (ort-extensions format)."""
    return {
        "processor": {
            "name": "qwen2_5_image_processor",
            "transforms": [
                {
                    "operation": {
                        "name": "decode_image",
                        "type": "DecodeImage",
                        "attrs": {"color_space": "RGB"},
                    }
                },
                {"operation": {"name": "convert_to_rgb", "type": "ConvertRGB"}},
                {
                    "operation": {
                        "name": "resize",
                        "type": "Resize",
                        "attrs": {
                            "width": 540,
                            "height": 360,
                            "smart_resize": 1,
                            "min_pixels": 3136,
                            "max_pixels": max_pixels,
                            "patch_size": patch_size,
                            "merge_size": 2,
                        },
                    }
                },
                {
                    "operation": {
                        "name": "rescale",
                        "type": "Rescale",
                        "attrs": {"rescale_factor": 0.00392156862745098},
                    }
                },
                {
                    "operation": {
                        "name": "normalize",
                        "type": "Normalize",
                        "attrs": {
                            "mean": [0.48145466, 0.4578275, 0.40821073],
                            "std": [0.26862954, 0.26130258, 0.27577711],
                            "qwen2_5_vl": 1,
                        },
                    }
                },
                {
                    "operation": {
                        "name": "patch_image",
                        "type": "PatchImage",
                        "attrs": {
                            "patch_size": patch_size,
                            "temporal_patch_size": 2,
                            "merge_size": 2,
                        },
                    }
                },
            ],
        }
    }


def test_the_nested_resize_attrs_are_found() -> None:
    attrs = resize_attrs(genai_qwen25_processor())
    assert attrs["max_pixels"] == 12845056 and attrs["min_pixels"] == 3136


def test_a_1080p_screen_maps_to_the_space_the_model_saw() -> None:
    space = family_for("qwen2_5_vl").space(1920, 1080, genai_qwen25_processor())
    assert space == CoordinateSpace.image(1932, 1092)


def test_a_click_lands_where_the_model_pointed() -> None:
    space = family_for("qwen2_5_vl").space(1920, 1080, genai_qwen25_processor())
    monitor = MonitorGeometry(left=0, top=0, width=1920, height=1080)
    # the centre of the image the model saw is the centre of the screen, not 1.5x beyond it
    assert scale_coordinates(966, 546, space, monitor) == (960, 540)


def test_the_flat_form_still_works() -> None:
    assert qwen_resized(1920, 1080, {"max_pixels": 12845056}) == (1932, 1092)
    assert qwen_resized(1920, 1080, {}) == (1316, 728)  # the default budget, 1280 * 28 * 28


def test_the_factor_follows_patch_and_merge_size() -> None:
    w, h = qwen_resized(1920, 1080, genai_qwen25_processor(patch_size=16))
    assert (w, h) == (1920, 1088)  # sides multiples of 32


def test_a_genai_qwen_folder_reads_processor_config_json(tmp_path: Path) -> None:
    """Laid out as genai's own qwen-vision-preprocessing test folder: genai_config.json does not
    name the processor config; genai reads processor_config.json by its fixed name."""
    model = {
        "type": "qwen2_5_vl",
        "decoder": {"filename": "dummy_text.onnx"},
        "embedding": {"filename": "dummy_embedding.onnx"},
        "vision": {"filename": "dummy_vision.onnx", "spatial_merge_size": 2},
    }
    (tmp_path / "genai_config.json").write_text(json.dumps({"model": model}))
    for name in ("dummy_text.onnx", "dummy_embedding.onnx", "dummy_vision.onnx"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "processor_config.json").write_text(json.dumps(genai_qwen25_processor()))
    folder = ModelFolder.open(tmp_path)
    assert folder.family.space(1920, 1080, folder.processor) == CoordinateSpace.image(1932, 1092)


def test_a_folder_naming_its_processor_config(tmp_path: Path) -> None:
    model = {"type": "qwen2_5_vl", "vision": {"config_filename": "image_processor.json"}}
    (tmp_path / "genai_config.json").write_text(json.dumps({"model": model}))
    (tmp_path / "image_processor.json").write_text(json.dumps(genai_qwen25_processor()))
    folder = ModelFolder.open(tmp_path)
    assert folder.family.space(1920, 1080, folder.processor) == CoordinateSpace.image(1932, 1092)
