"""Phi-4-multimodal (genai's type ``phi4mm``): Phi-4's ``<|role|>...<|end|>`` turns without a bos,
the ``<|image_1|>`` tag genai's processor rewrites to ``<|endoftext10|>`` (id 200010) repeated once
per image token, answers in 0-1000 on both axes, and the image-token count genai's processor
(onnxruntime-extensions' ``phi_4_vision_processor``: dynamic HD crops of 448 pixels plus a global
view, 14-pixel patches pooled 2x2) gives a screenshot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.errors import ActionFailed
from deskpilot.runtime.families import family_for
from deskpilot.runtime.folder import ModelFolder

TINY = Path(__file__).parents[1] / "models" / "phi4mm-tiny"
CROP, PATCH = 448, 14
SIDE, POOLED = CROP // PATCH, CROP // PATCH // 2  # 32 patches a crop side, 16 pooled

# image tokens genai 0.18's phi4mm processor gave screenshots of these sizes (measured on the tiny
# folder; tests/runtime/test_phi4mm_tiny.py checks the processor against `image_tokens` live)
MEASURED = {
    (1280, 800): 1743,  # 3x2 crops, the last 4 patch rows padding
    (800, 1280): 1761,
    (1920, 1080): 3918,  # 5x3 crops
    (1366, 768): 2129,
    (320, 200): 443,  # one crop
    (2560, 1600): 6093,  # 6x4 = 24 crops, within the 36 allowed
    (3000, 500): 2420,  # 7x2 crops
}


def crop_grid(width: int, height: int, dynamic_hd: int) -> tuple[int, int]:
    """(across, down): one 448-pixel crop per started 448 pixels, or, past ``dynamic_hd`` crops,
    the allowed grid whose aspect ratio is closest to the image's."""
    across, down = math.ceil(width / CROP), math.ceil(height / CROP)
    if across * down <= dynamic_hd:
        return across, down
    grids = sorted(
        ((i, j) for i in range(1, dynamic_hd + 1) for j in range(1, dynamic_hd + 1)),
        key=lambda g: (g[0] * g[1], g),
    )
    allowed = [g for g in grids if g[0] * g[1] <= dynamic_hd]
    return min(allowed, key=lambda g: abs(width / height - g[0] / g[1]))


def image_tokens(width: int, height: int, dynamic_hd: int = 36) -> int:
    """Phi-4-mm's count: the global view's 16x16 pooled patches, a separator after each of its
    rows and one between it and the crops; then the crops' pooled patches that are not padding (the
    image is scaled to fit the crop grid and padded at the right or bottom), one more per row."""
    across, down = crop_grid(width, height, dynamic_hd)
    scale_w, scale_h = across * CROP / width, down * CROP / height
    if scale_w < scale_h:  # as wide as the grid, white rows below
        pad_w, pad_h = 0, down * CROP - int(height * scale_w)
    else:  # as high as the grid, white columns on the right
        pad_w, pad_h = across * CROP - int(width * scale_h), 0
    rows = down * SIDE - pad_h // PATCH
    cols = across * SIDE - pad_w // PATCH
    useful_h, useful_w = (rows + 1) // 2, (cols + 1) // 2
    return POOLED * POOLED + POOLED + 1 + useful_h * (useful_w + 1)


def genai_phi4mm_processor(dynamic_hd: int = 36) -> dict[str, Any]:
    """The tiny folder's vision_processor.json (Phi-4-multimodal-instruct-onnx's layout)."""
    config: dict[str, Any] = json.loads((TINY / "vision_processor.json").read_text())
    steps = [t["operation"] for t in config["processor"]["transforms"]]
    steps[1]["attrs"]["dynamic_hd"] = dynamic_hd
    return config


def test_the_template_is_phi4s() -> None:
    family = family_for("phi4mm")
    assert family.render("be brief", "click Save") == (
        "<|system|>be brief<|end|><|user|>click Save<|end|><|assistant|>"
    )
    assert family.image_tag == "<|image_1|>"  # genai rewrites it to <|endoftext10|> (200010)
    assert family.required_tokens == ("<|endoftext10|>",)
    assert family.end_markers == ("<|end|>",) and family.action_format == "deskpilot"
    assert family.image_tokens is None  # as many as the screenshot's crops need


def test_the_processor_config_is_phi4s_dynamic_hd() -> None:
    config = genai_phi4mm_processor()
    assert config["processor"]["name"] == "phi_4_vision_processor"
    steps = [t["operation"] for t in config["processor"]["transforms"]]
    assert [s["type"] for s in steps] == [
        "DecodeImage",
        "Phi4VisionDynamicPreprocess",
        "Rescale",
        "Normalize",
        "Phi4VisionProcessor",
    ]
    assert steps[1]["attrs"] == {"dynamic_hd": 36, "dyhd_base_resolution": 448}
    assert steps[3]["attrs"] == {"mean": [0.5] * 3, "std": [0.5] * 3}  # pixels to [-1, 1]
    assert steps[4]["attrs"]["dyhd_base_resolution"] == 448
    assert config["processor"]["output_aligner"] == "phi4-vision-aligner"


@pytest.mark.parametrize(("size", "count"), MEASURED.items())
def test_the_image_token_count_is_genais(size: tuple[int, int], count: int) -> None:
    assert image_tokens(*size) == count


def test_fewer_crops_allowed_means_fewer_tokens() -> None:
    assert crop_grid(1920, 1080, 36) == (5, 3)
    assert crop_grid(1920, 1080, 4) == (2, 1)  # the closest aspect ratio within 4 crops
    assert image_tokens(1920, 1080, 4) < image_tokens(1920, 1080)
    assert image_tokens(448, 448, 1) == 256 + 16 + 1 + 16 * 17  # one unpadded crop


def test_the_space_is_normalized_whatever_the_screen() -> None:
    family = family_for("phi4mm")
    for size in MEASURED:
        assert family.space(*size, genai_phi4mm_processor()) == CoordinateSpace.normalized(1000)


def test_a_click_lands_where_the_model_pointed() -> None:
    space = family_for("phi4mm").space(1280, 800, genai_phi4mm_processor())
    monitor = MonitorGeometry(left=0, top=0, width=1280, height=800)
    assert scale_coordinates(500, 500, space, monitor) == (640, 400)
    assert scale_coordinates(1000, 1000, space, monitor) == (1279, 799)
    with pytest.raises(ActionFailed):
        scale_coordinates(10, 1001, space, monitor)


def test_a_folder_laid_out_like_phi4_multimodal_instruct_onnx_opens(tmp_path: Path) -> None:
    """Microsoft's ONNX release's layout (speech included; empty graphs: only configs are read)."""
    model = {
        "type": "phi4mm",
        "decoder": {"filename": "phi-4-mm-text.onnx"},
        "embedding": {"filename": "phi-4-mm-embedding.onnx"},
        "vision": {"filename": "phi-4-mm-vision.onnx", "config_filename": "vision_processor.json"},
        "speech": {"filename": "phi-4-mm-speech.onnx", "config_filename": "speech_processor.json"},
    }
    (tmp_path / "genai_config.json").write_text(json.dumps({"model": model}))
    for name in ("text", "embedding", "vision", "speech"):
        (tmp_path / f"phi-4-mm-{name}.onnx").write_bytes(b"")
    (tmp_path / "speech_processor.json").write_text("{}")
    (tmp_path / "vision_processor.json").write_text(json.dumps(genai_phi4mm_processor()))
    folder = ModelFolder.open(tmp_path)
    assert folder.family.model_type == "phi4mm"
    assert folder.processor["processor"]["name"] == "phi_4_vision_processor"
    info = folder.info()
    assert info["type"] == "phi4mm"
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"


def test_model_info_gives_the_most_tokens_a_screenshot_may_become() -> None:
    budget = ModelFolder.open(TINY).image_token_budget()
    assert budget == image_tokens(CROP, CROP * 36)  # 36 crops in one column: the most rows
    grids = [(i, 36 // i) for i in range(1, 37)]
    assert budget == max(image_tokens(CROP * i, CROP * j) for i, j in grids)
    assert all(count < budget for count in MEASURED.values())
