"""A folder of captured screens with their ground truth, for screens too slow to make on the fly
(real Tk dialogs on Xvfb): written once, then drawn from at random while training.

Layout: ``screens.jsonl`` (one record per screen: image file, elements, scrollables, texts, dark)
and ``images/screen-NNNNNN.png``. ``python -m training.data.screenpool --out DIR --screens N``
captures N Tk dialogs on a private Xvfb display of its own (``capture_tk_dialogs``).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from PIL import Image
from rich.progress import Progress

from deskpilot.data.elements import Element, Screen
from deskpilot.data.tasks import Sample, random_samples
from deskpilot.data.vocab import Split, Vocabulary

DESKTOPS = ("#111111", "#2e3440", "#3a6ea5", "#202020", "#4a5a3a", "#808080", "#5b4a6b", "#d0d0d0")


def _element(record: dict[str, object]) -> Element:
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in record.items()}
    return Element(**fields)  # type: ignore[arg-type]


def write_pool(out: Path, screens: Iterator[Screen], total: int) -> int:
    """Write ``screens`` to ``out`` (after the screens of a pool already there); return the pool's
    size."""
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    index = out / "screens.jsonl"
    count = sum(1 for _ in index.open(encoding="utf-8")) if index.exists() else 0
    with index.open("a", encoding="utf-8") as file, Progress() as progress:
        job = progress.add_task(f"capturing into {out}", total=total)
        for screen in screens:
            name = f"images/screen-{count:06d}.png"
            screen.image.save(out / name, compress_level=1)
            record = {
                "image": name,
                "dark": screen.dark,
                "texts": sorted(screen.texts),
                "elements": [asdict(e) for e in screen.elements],
                "scrollables": [asdict(e) for e in screen.scrollables],
            }
            file.write(json.dumps(record) + "\n")
            file.flush()
            count += 1
            progress.advance(job)
    return count


class ScreenPool:
    """The screens of a pool folder; images are read from disk when drawn (a pool of desktop
    captures does not fit in memory)."""

    def __init__(self, folder: Path) -> None:
        index = folder / "screens.jsonl"
        if not index.is_file():
            raise FileNotFoundError(f"{folder} is not a screen pool (no screens.jsonl)")
        self.folder = folder
        self.records = [json.loads(line) for line in index.open(encoding="utf-8") if line.strip()]
        if not self.records:
            raise ValueError(f"the screen pool {folder} is empty")

    def __len__(self) -> int:
        return len(self.records)

    def screen(self, number: int) -> Screen:
        """Screen ``number``, image loaded."""
        record = self.records[number]
        with Image.open(self.folder / record["image"]) as image:
            rgb = image.convert("RGB")
        return Screen(
            image=rgb,
            dark=record["dark"],
            texts=set(record["texts"]),
            elements=[_element(e) for e in record["elements"]],
            scrollables=[_element(e) for e in record["scrollables"]],
        )

    def samples(
        self,
        rng: random.Random,
        vocab: Vocabulary,
        tasks: int = 4,
        weights: dict[str, float] | None = None,
    ) -> Iterator[Sample]:
        """Endless samples: a random screen, then ``tasks`` random tasks on it, and again."""
        while True:
            yield from random_samples(
                self.screen(rng.randrange(len(self))), rng, vocab, tasks, weights
            )


def _tk_dialogs(count: int, seed: int, split: Split) -> Iterator[Screen]:
    from deskpilot.data.tkdialogs import tk_dialog_screens

    rng = random.Random(f"desktops-{seed}")
    setroot = shutil.which("xsetroot")
    for screen in tk_dialog_screens(count, split, seed):
        yield screen
        if setroot:  # the next screen on another desktop colour
            subprocess.run([setroot, "-solid", rng.choice(DESKTOPS)], check=False)


def capture_tk_dialogs(
    out: Path, screens: int, seed: int = 0, split: Split = "train"
) -> ScreenPool:
    """A pool of ``screens`` Tk dialogs with ``split``'s labels at ``out``, captured on a private Xvfb display (with a
    window manager) unless a complete one is already there; the same seed captures the same
    dialogs. The capture runs in a child process (Tk keeps its X connection for the life of the
    process, past the display's); an unfinished one is started again (into a sibling folder,
    renamed when done)."""
    from deskpilot.xvfb import VirtualDisplay

    if (out / "done").exists():
        return ScreenPool(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    child = [
        sys.executable,
        "-m",
        __name__,
        "--out",
        str(partial),
        "--screens",
        str(screens),
        "--seed",
        str(seed),
        "--split",
        split,
        "--on-this-display",
    ]
    with VirtualDisplay(1280, 800) as display:
        # the child imports this module as `training.data.screenpool`: from the checkout's root
        subprocess.run(
            child, env=display.env(), check=True, cwd=Path(__file__).resolve().parents[2]
        )
    (partial / "done").write_text(f"{screens} Tk dialogs, seed {seed}, {split}\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return ScreenPool(out)


def main() -> None:
    """Command line: capture Tk dialogs into a pool on a private Xvfb display."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--screens", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=["train", "heldout"], default="train")
    parser.add_argument("--on-this-display", action="store_true", help="capture on $DISPLAY")
    args = parser.parse_args()
    if args.on_this_display:
        write_pool(args.out, _tk_dialogs(args.screens, args.seed, args.split), args.screens)
        return
    pool = capture_tk_dialogs(args.out, args.screens, args.seed, args.split)
    sys.stdout.write(f"{args.out}: {len(pool)} screens\n")


if __name__ == "__main__":
    main()
