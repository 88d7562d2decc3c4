"""Gemma 4 E2B/E4B (genai's type ``gemma4``): Gemma 4's turns and ``<|image|>`` tag, answers in
0-1000 on both axes, and the image-token budget read from genai's ``processor_config.json``
(``Gemma4ImageTransform``'s ``max_soft_tokens``: 70, 140, 280, 560 or 1120)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.errors import ActionFailed
from deskpilot.runtime.families import family_for
from deskpilot.runtime.folder import ModelFolder

BUDGETS = (70, 140, 280, 560, 1120)
TINY = Path(__file__).parents[1] / "models" / "gemma4-tiny"


def genai_gemma4_processor(max_soft_tokens: int = 280) -> dict[str, Any]:
    """processor_config.json as genai's own gemma4 test folder has it (the tiny folder's is laid
    out the same: tests/runtime/test_gemma4_tiny.py), with another soft-token budget."""
    config: dict[str, Any] = json.loads((TINY / "processor_config.json").read_text())
    transform = config["processor"]["transforms"][1]["operation"]
    assert transform["type"] == "Gemma4ImageTransform"
    assert (transform["attrs"]["patch_size"], transform["attrs"]["pooling_kernel_size"]) == (16, 3)
    transform["attrs"]["max_soft_tokens"] = max_soft_tokens
    return config


def test_the_template_is_gemma4s() -> None:
    family = family_for("gemma4")
    assert family.render("be brief", "click Save") == (
        "<bos><|turn>system\nbe brief<turn|>\n<|turn>user\nclick Save<turn|>\n<|turn>model\n"
    )
    assert family.image_tag == "<|image|>"
    assert family.required_tokens == ("<|image>", "<|image|>", "<image|>")
    assert family.end_markers == ("<turn|>",) and family.action_format == "deskpilot"
    assert family.image_tokens is None  # as many as the image needs, up to the budget


def test_the_space_is_normalized_whatever_the_budget() -> None:
    family = family_for("gemma4")
    for budget in BUDGETS:
        space = family.space(1920, 1080, genai_gemma4_processor(budget))
        assert space == CoordinateSpace.normalized(1000)


def test_a_click_lands_where_the_model_pointed() -> None:
    space = family_for("gemma4").space(1280, 800, genai_gemma4_processor())
    monitor = MonitorGeometry(left=1920, top=0, width=1280, height=800)
    assert scale_coordinates(500, 500, space, monitor) == (1920 + 640, 400)
    assert scale_coordinates(1000, 1000, space, monitor) == (1920 + 1279, 799)
    with pytest.raises(ActionFailed):
        scale_coordinates(1001, 10, space, monitor)


def write_genai_gemma4_folder(folder: Path, max_soft_tokens: int) -> None:
    """A folder shaped like genai's gemma4 test folder (empty graphs: only its configs are read)."""
    model = {
        "type": "gemma4",
        "decoder": {"filename": "dummy_text.onnx"},
        "embedding": {"filename": "dummy_embedding.onnx"},
        "vision": {"filename": "dummy_vision.onnx", "config_filename": "processor_config.json"},
        "speech": {"filename": "dummy_speech.onnx", "config_filename": "audio.json"},
    }
    (folder / "genai_config.json").write_text(json.dumps({"model": model}))
    for name in ("text", "embedding", "vision", "speech"):
        (folder / f"dummy_{name}.onnx").write_bytes(b"")
    (folder / "audio.json").write_text("{}")
    processor = genai_gemma4_processor(max_soft_tokens)
    (folder / "processor_config.json").write_text(json.dumps(processor))


@pytest.mark.parametrize("budget", BUDGETS)
def test_a_genai_gemma4_folder_reads_its_image_token_budget(tmp_path: Path, budget: int) -> None:
    write_genai_gemma4_folder(tmp_path, budget)
    folder = ModelFolder.open(tmp_path)
    assert folder.family.model_type == "gemma4"
    assert folder.image_token_budget() == budget
    info = folder.info()
    assert info["type"] == "gemma4" and info["image_token_budget"] == budget
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"
