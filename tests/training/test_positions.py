"""Stretching a trained position embedding to another image-token budget (tinymodels/positions.py):
the grid it assumes is genai's, and each new patch gets the embedding of the place it covers."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from training.tinymodels.positions import patch_grid, stretch_positions

FIXTURE = Path(__file__).parents[2] / "deskpilot" / "models" / "default"  # a trained folder
SCREENS = [(1280, 800), (1920, 1080), (640, 480), (300, 200), (800, 1280), (1024, 768)]


def processor_grid(folder: Path, width: int, height: int) -> tuple[int, int]:
    import onnxruntime_genai as og

    processor = og.Model(str(folder)).create_multimodal_processor()
    png = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(png, "PNG")
    inputs = processor("<|image|>", images=og.Images.open_bytes(png.getvalue()))
    positions = inputs["pixel_position_ids"].as_numpy()[0]
    valid = positions[(positions != -1).all(axis=-1)]
    return int(valid[:, 0].max()) + 1, int(valid[:, 1].max()) + 1


@pytest.mark.parametrize("soft_tokens", [280, 448])
def test_the_grid_is_the_one_genai_cuts(soft_tokens: int, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(FIXTURE, folder)
    processor = folder / "image_processor.json"
    text = json.dumps(json.loads(processor.read_text()))
    processor.write_text(
        re.sub(r'"max_soft_tokens": \d+', f'"max_soft_tokens": {soft_tokens}', text)
    )
    for width, height in SCREENS:
        assert patch_grid(soft_tokens, width, height) == processor_grid(folder, width, height)


def test_rows_linear_in_their_index_stay_on_that_line_at_the_patch_centres() -> None:
    """If a trained row is a + i b, the stretched row at new index j is a + c(j) b, where c(j) is
    where patch j's centre falls on the old grid: what each new patch covers on the screen."""
    size, dim = 40, 8
    a, b = torch.randn(2, dim), torch.randn(2, dim)
    index = torch.arange(size, dtype=torch.float32)[:, None, None]
    table = a + index * b + torch.where(index >= torch.tensor([21, 13])[:, None], 99.0, 0.0)
    stretched = stretch_positions(table, (21, 13), (26, 16))
    for axis, (old, new) in enumerate([(21, 26), (13, 16)]):
        centres = ((torch.arange(new) + 0.5) * old / new - 0.5).clamp(0, old - 1)
        expected = a[axis] + centres[:, None] * b[axis]
        assert torch.allclose(stretched[:new, axis], expected, atol=1e-5)
        assert torch.equal(stretched[new:, axis], table[new:, axis])  # past the grid: untouched
        assert (stretched[:new, axis] < 50).all()  # no untrained row leaks in
    assert torch.equal(stretch_positions(table, (21, 13), (21, 13))[:21, 0], table[:21, 0])


def test_a_grid_larger_than_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="position rows"):
        stretch_positions(torch.zeros(20, 2, 4), (10, 10), (30, 10))
