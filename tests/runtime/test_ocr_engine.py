"""The real OCR engine (RapidOCRLite, models from its wheel) on rendered UI text: light and dark,
small and normal sizes; boxes where the text was drawn; a missing engine is a clear error."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from deskpilot.errors import UsageError
from deskpilot.perception import ScreenReader, default_engine
from deskpilot.perception.engine import RapidLiteEngine
from deskpilot.screen import Frame

FONTS = Path("/usr/share/fonts/truetype/dejavu")
LABELS = ["Save", "Cancel", "File name:", "Open recent", "Preferences", "Zourquiox", "Apply all"]


def render(
    size: int, dark: bool, font: str = "DejaVuSans.ttf"
) -> tuple[Image.Image, dict[str, tuple[int, int]]]:
    """A 900x500 screen with the labels scattered over it; returns where each label's centre is."""
    image = Image.new("RGB", (900, 500), (40, 42, 46) if dark else (236, 236, 236))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(FONTS / font), size)
    centres = {}
    for index, label in enumerate(LABELS):
        x, y = 40 + (index % 3) * 290, 40 + (index // 3) * 140
        draw.text((x, y), label, font=face, fill=(230, 230, 230) if dark else (20, 20, 20))
        left, top, right, bottom = draw.textbbox((x, y), label, font=face)
        centres[label] = ((left + right) // 2, (top + bottom) // 2)
    return image, centres


@pytest.fixture(scope="module")
def reader() -> ScreenReader:
    return ScreenReader(default_engine())


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", [11, 13, 16])
def test_labels_are_read_where_they_stand(reader: ScreenReader, size: int, dark: bool) -> None:
    image, centres = render(size, dark)
    reader_for_this = ScreenReader(reader.engine)  # no cache across screens of this test
    text = reader_for_this.read(Frame.from_image(image))
    for label, (cx, cy) in centres.items():
        match = text.find(label)
        mx, my = match.box.center
        assert abs(mx - cx) <= 10 and abs(my - cy) <= 6, (label, match.box, (cx, cy))


def test_a_changed_label_is_read_again_and_the_rest_kept(reader: ScreenReader) -> None:
    local = ScreenReader(reader.engine)
    image, _ = render(13, False)
    local.read(Frame.from_image(image))
    changed = image.copy()
    draw = ImageDraw.Draw(changed)
    draw.rectangle((600, 40, 890, 70), fill=(236, 236, 236))
    draw.text(
        (620, 40),
        "Saved!",
        font=ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 13),
        fill=(20, 20, 20),
    )
    text = local.read(Frame.from_image(changed))
    assert local.stats.area_read < 0.1
    assert text.find("Saved").box.x >= 600
    assert text.find("Cancel") and text.find("Save").box.x < 200
    assert not text.matches("File name")  # it stood where the change is


def test_an_engine_that_is_not_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr now fails
    with pytest.raises(UsageError, match=r"pip install 'deskpilot\[ocr\]'"):
        RapidLiteEngine()


def test_a_blank_or_tiny_image_reads_nothing(reader: ScreenReader) -> None:
    engine = reader.engine
    assert engine.read(np.full((300, 300, 3), 200, np.uint8)) == []
    assert engine.read(np.zeros((4, 4, 3), np.uint8)) == []
