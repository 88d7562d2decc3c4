"""The real OCR engine (RapidOCRLite, models from its wheel) on rendered UI text: light and dark,
small and normal sizes; boxes where the text was drawn; a missing engine is a clear error."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from deskpilot.errors import UsageError
from deskpilot.perception import Box, ScreenReader, TextLine, default_engine
from deskpilot.perception.engine import RapidLiteEngine
from deskpilot.perception.text import split_words
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


BIG_LABELS = ["Save", "Cancel", "Open file", "Preferences", "Network settings", "Username",
              "Password", "Apply", "Keyboard layout", "Battery", "Bluetooth", "Printers"]  # fmt: skip


def render_4k() -> tuple[Image.Image, dict[str, tuple[int, int]]]:
    """A 3840x2160 screen at 100% (12-px labels), two of them across the pieces' seams."""
    image = Image.new("RGB", (3840, 2160), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 12)
    spots = [(300, 200), (3400, 150), (900, 1900), (3300, 2000), (1880, 600), (2400, 1300),
             (600, 1100), (3000, 700), (1500, 1800), (1860, 1030), (100, 2100), (3600, 1500)]  # fmt: skip
    centres = {}
    for label, (x, y) in zip(BIG_LABELS, spots, strict=True):
        draw.text((x, y), label, font=face, fill=(20, 20, 20))
        left, top, right, bottom = draw.textbbox((x, y), label, font=face)
        centres[label] = ((left + right) // 2, (top + bottom) // 2)
    return image, centres


def test_a_4k_screen_is_read_in_pieces_each_line_once(reader: ScreenReader) -> None:
    image, centres = render_4k()
    engine = reader.engine
    assert isinstance(engine, RapidLiteEngine)
    rgb = np.asarray(image)
    # read whole, the pipeline shrinks it past reading (why the pieces exist)
    whole = " ".join(line.text for line in engine._read_whole(rgb))
    assert sum(label in whole for label in BIG_LABELS) <= len(BIG_LABELS) // 2
    text = ScreenReader(engine).read(Frame.from_image(image))
    for label, (cx, cy) in centres.items():
        match = text.find(label)  # once: a line in two pieces' overlap is not doubled
        mx, my = match.box.center
        assert abs(mx - cx) <= 10 and abs(my - cy) <= 6, (label, match.box, (cx, cy))


def test_pieces_cover_the_screen_and_share_their_seams() -> None:
    from deskpilot.perception.engine import OVERLAP, pieces_of

    assert pieces_of(1920, 1080) == [Box(0, 0, 1920, 1080)]
    pieces = pieces_of(3840, 2160)
    assert len(pieces) == 4
    covered = np.zeros((2160, 3840), bool)
    for piece in pieces:
        covered[piece.y : piece.bottom, piece.x : piece.right] = True
    assert covered.all()
    assert pieces[0].right - pieces[1].x == OVERLAP and pieces[0].bottom - pieces[2].y == OVERLAP


def test_merging_keeps_a_whole_line_over_its_cut_copy() -> None:
    from deskpilot.perception.engine import merge_pieces

    left, right = Box(0, 0, 2080, 1240), Box(1760, 0, 2080, 1240)

    def line(text: str, box: Box) -> TextLine:
        return TextLine(text, box, split_words(text, box))

    whole = line("Network settings", Box(1700, 600, 110, 14))  # the left piece reads it whole
    cut = line("settings", Box(1760, 600, 50, 14))  # the right piece's copy, cut at its edge
    long_left = line("a very long line of text that", Box(1500, 900, 580, 14))  # cut in both
    long_right = line("of text that goes on and on", Box(1760, 900, 600, 14))
    merged = merge_pieces(
        [(left, [whole, long_left]), (right, [cut, whole, long_right])], 3840, 1240
    )
    assert merged.count(whole) == 1 and cut not in merged
    assert long_left in merged or long_right in merged  # a line longer than the overlap: kept cut
