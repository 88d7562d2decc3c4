"""`deskpilot run --model tests/models/qwen2_5_vl-tiny` end to end on Xvfb: the qwen2_5_vl family
(smart-resized screenshot, image-pixel coordinates scaled back to the screen) drives the same real
press board as the Gemma folders, through the whole agent loop; in deskpilot's JSON tool calls and
in the native formats of the models built on it (UI-TARS, Fara: decoded by their grammars, read by
their adapters)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.desktop import test_genai_desktop as gemma  # the board, policy and checks


@pytest.mark.parametrize("action_format", ["deskpilot", "ui_tars", "fara"])
def test_a_qwen2_5_vl_model_drives_a_real_window(
    launch: Callable[..., Any], tmp_path: Path, action_format: str
) -> None:
    gemma.test_a_genai_model_drives_a_real_window(launch, tmp_path, "qwen2_5_vl", action_format)


def test_a_fara_folder_answers_in_its_own_format_on_a_real_window(
    launch: Callable[..., Any], tmp_path: Path
) -> None:
    """genai's ``fara`` type: the qwen2_5_vl layout; its family answers in Fara's tool calls
    without being told (no --action-format)."""
    folder = tmp_path / "fara-tiny"
    shutil.copytree(gemma.MODELS / "qwen2_5_vl-tiny", folder)
    config = json.loads((folder / "genai_config.json").read_text())
    config["model"]["type"] = "fara"
    (folder / "genai_config.json").write_text(json.dumps(config))
    gemma.test_a_genai_model_drives_a_real_window(launch, tmp_path, "fara", "", folder)
