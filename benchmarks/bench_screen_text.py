"""Screen-text benchmarks, side by side in one run (not timed assertions).

On rendered 1280x800 screens (a dialog-like screen of ~20 labels, and a busy one: 45 lines of a
terminal listing), the OCR engine on one thread:

1. a whole read (the first step of a run);
2. a re-read after a small change (a label replaced: what a step after a click usually costs);
3. a frame with no change (served from the reader's cache);
4. the text-match baseline's whole step (OCR + finding the target) on the dialog screen;
5. large screens at 100% (12-px labels: 1920x1080 to 3840x2160): words read and time, the
   engine's one pass beside deskpilot's read in overlapping pieces (screens over 2560x1600).

Run: ``python benchmarks/bench_screen_text.py`` (needs the ocr extra).
"""

from __future__ import annotations

import random
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console
from rich.table import Table

from deskpilot.perception import ScreenReader, default_engine
from deskpilot.perception.engine import RapidLiteEngine
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.textmatch import TextMatchModel
from deskpilot.screen import Frame

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
REPEATS = 15
console = Console()


def dialog_screen(label: str = "Nothing saved yet") -> Image.Image:
    image = Image.new("RGB", (1280, 800), (216, 216, 216))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONT, 13)
    words = ["Name", "Address", "City", "Country", "Phone", "Email", "Notes", "Colour",
             "Size", "Quantity", "Discount", "Shipping", "Gift wrap", "Priority", "Remarks",
             "Reference", "Due date", "Owner"]  # fmt: skip
    for index, word in enumerate(words):
        x, y = 80 + (index % 3) * 400, 80 + (index // 3) * 90
        draw.text((x, y), word, font=face, fill=(0, 0, 0))
        draw.rectangle((x + 100, y - 4, x + 330, y + 18), fill="white", outline=(90, 90, 90))
    draw.rectangle((1000, 700, 1120, 730), fill=(230, 230, 230), outline=(90, 90, 90))
    draw.text((1040, 707), "Save", font=face, fill=(0, 0, 0))
    draw.text((560, 750), label, font=face, fill=(70, 70, 70))
    return image


def busy_screen() -> Image.Image:
    image = Image.new("RGB", (1280, 800), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(MONO, 12)
    for row in range(45):
        line = (
            f"-rw-r--r-- 1 user user {1000 + 37 * row:>7} Dec  3 14:{row:02d} report-{row:03d}.txt"
        )
        draw.text((8, 8 + row * 17), line, font=face, fill=(220, 220, 220))
    return image


BIG_WORDS = ["Save", "Cancel", "Open file", "Preferences", "Network settings", "Username",
             "Password", "Apply", "Help", "Close window", "Display", "Keyboard layout", "Battery",
             "Bluetooth", "Printers", "Sound", "Privacy", "Updates"]  # fmt: skip


def large_screen(width: int, height: int, seed: int) -> Image.Image:
    """Labels of 12 px scattered at random over a ``width`` x ``height`` screen."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONT, 12)
    for word in BIG_WORDS:
        xy = (rng.randint(10, width - 200), rng.randint(10, height - 30))
        draw.text(xy, word, font=face, fill=(20, 20, 20))
    return image


def large_screens(engine: RapidLiteEngine) -> None:
    """Words read (of 18 a screen, 4 screens) and ms a read: one pass, and deskpilot's read."""
    table = Table(title="large screens at 100%: words read of 72 (4 screens) and ms a read")
    for column in ("screen", "one pass", "deskpilot (pieces over 2560x1600)"):
        table.add_column(column, justify="right" if column != "screen" else "left")
    for width, height in [(1920, 1080), (2560, 1600), (3840, 2160)]:
        cells = []
        for read in (engine._read_whole, engine.read):
            words, times = 0, []
            for seed in range(4):
                rgb = np.asarray(large_screen(width, height, seed))
                started = time.perf_counter()
                text = " | ".join(line.text for line in read(rgb))
                times.append((time.perf_counter() - started) * 1000)
                words += sum(word in text for word in BIG_WORDS)
            cells.append(f"{words} / {statistics.median(times):.0f} ms")
        table.add_row(f"{width}x{height}", *cells)
    console.print(table)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return percentile_pair(samples)


def percentile_pair(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def main() -> None:
    engine = default_engine()
    table = Table(title=f"screen text on one thread ({engine.name}), {REPEATS} runs each")
    for column in ("screen", "whole read p50 / p95", "after a small change", "unchanged"):
        table.add_column(column, justify="right" if column != "screen" else "left")
    for name, before, after in [
        ("dialog, 18 fields", dialog_screen(), dialog_screen("Saved: Ada Lovelace")),
        ("busy terminal, 45 lines", busy_screen(), None),
    ]:
        first = Frame.from_image(before)
        whole = timed(lambda frame=first: ScreenReader(engine).read(frame))
        changed: tuple[float, float] | None = None
        if after is not None:
            samples = []
            for _ in range(REPEATS):
                reader = ScreenReader(engine)
                reader.read(first)
                started = time.perf_counter()
                reader.read(Frame.from_image(after))
                samples.append(time.perf_counter() - started)
            changed = percentile_pair(samples)
        cached = ScreenReader(engine)
        cached.read(first)
        unchanged = timed(lambda reader=cached, frame=first: reader.read(frame))
        change_text = "-" if changed is None else f"{changed[0]:.0f} / {changed[1]:.0f}"
        table.add_row(
            name,
            f"{whole[0]:.0f} / {whole[1]:.0f} ms",
            change_text + " ms",
            f"{unchanged[0]:.1f} ms",
        )
    console.print(table)
    model = TextMatchModel(engine)
    frame = Frame.from_image(dialog_screen())
    request = ModelRequest(task="click Save", frame=frame, history=(), tool_schema={})

    def step() -> None:
        model.reader = ScreenReader(engine)
        model.next_action(request)

    p50, p95 = timed(step)
    console.print(
        f"text-match step (whole read + find), dialog: p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )
    if isinstance(engine, RapidLiteEngine):
        large_screens(engine)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
