"""Writing and reading datasets: JSON Lines of samples plus one PNG per screen, with progress.

    python -m deskpilot.data.dataset --out data/train --screens 2000 --split train --seed 1

Screens and tasks come from fixed seeds, so a dataset is rebuilt identically from its command line.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from PIL import Image
from rich.progress import Progress

from deskpilot.data.forms import draw_form
from deskpilot.data.screens import draw_screen
from deskpilot.data.tasks import Sample, random_samples
from deskpilot.data.vocab import Split, Vocabulary
from deskpilot.data.widgets import draw_widgets
from deskpilot.runtime.base import HistoryEntry

SIZES = ((1008, 624), (1008, 624), (1008, 624), (816, 528), (1200, 768))
DESKTOP = (1280, 800)  # Xvfb's screen in the tests, the demo and the Tk suite: the processor
# scales it down (to 1008x630 at 280 soft tokens), so its text reaches the model resampled


def synthetic_samples(
    count: int,
    split: Split,
    seed: int,
    tasks_per_screen: int = 4,
    dark: bool | None = None,
    weights: dict[str, float] | None = None,
    pseudo: float = 0.34,
    forms: float = 0.0,
    widgets: int = 0,
    font_sizes: tuple[int, int] = (11, 16),
    words: int | None = None,
    grid_jitter: int | None = None,
    face: int | None = None,
    free_text: float = 0.0,
    quote: float = 0.0,
    desktop: float = 0.0,
    busy: float = 0.0,
) -> Iterator[Sample]:
    """``count`` screens' worth of samples; deterministic for (split, seed); ``weights`` sets how
    often each task kind is drawn, ``pseudo`` how often a label word is made up, ``forms`` how often
    a screen is a simple form dialog instead of a busy window; ``widgets`` > 0 makes every screen
    1 to ``widgets`` widgets scattered on a bare desktop (the curriculum's first rungs), their
    labels drawn at ``font_sizes`` pixels; ``words`` limits labels to that many one-word labels
    (a reading curriculum starts with few large words); ``grid_jitter`` puts widget labels near
    the patch grid (see ``draw_widgets``) on 1008x624 screens; ``face`` draws all text in one
    font face (an appearance curriculum starts with one; None: a random face per screen). With
    ``widgets``, ``forms`` is the share of screens that are form dialogs drawn at ``font_sizes``
    (the rung after bare widgets: a title bar and a line of text that are not targets).
    ``free_text`` is how often the text of a typing task is free text, ``quote`` how often the task
    shows it in quotes (see ``Vocabulary``). With ``widgets``, ``desktop`` is the share of screens
    drawn at a real desktop's size (``DESKTOP``; labels anywhere, not near the patch grid), which
    the model sees scaled down as it sees a real screen. ``busy`` is the share of screens that are
    busy windows (menus, tabs, a list to scroll) whatever the other knobs say: the widget and
    form screens have no list, so a curriculum on them alone never sees a scroll task."""
    rng = random.Random(f"{split}-{seed}")
    vocab = Vocabulary(split, rng, pseudo, words, free_text, quote)
    for _ in range(count):
        if busy > 0 and rng.random() < busy:  # drawn only when asked: busy=0 keeps the stream
            screen = draw_screen(rng, vocab, rng.choice(SIZES), dark=dark, face=face)
            yield from random_samples(screen, rng, vocab, tasks_per_screen, weights)
            continue
        if widgets > 0 and forms > 0 and rng.random() < forms:
            size = SIZES[0] if grid_jitter is not None else rng.choice(SIZES)
            if desktop > 0 and rng.random() < desktop:
                size = DESKTOP
            screen = draw_form(rng, vocab, size, dark, face, font_sizes)
            yield from random_samples(screen, rng, vocab, tasks_per_screen, weights)
            continue
        if widgets > 0:
            size, many, jitter = rng.choice(SIZES), rng.randint(1, widgets), grid_jitter
            if grid_jitter is not None:
                size = SIZES[0]  # the grid is the patch grid only where nothing is resized
            if desktop > 0 and rng.random() < desktop:
                size, jitter = DESKTOP, None
            screen = draw_widgets(rng, vocab, size, many, dark, font_sizes, jitter, face)
            yield from random_samples(screen, rng, vocab, tasks_per_screen, weights)
            continue
        simple = forms > 0 and rng.random() < forms
        draw = draw_form if simple else draw_screen
        screen = draw(rng, vocab, rng.choice(SIZES), dark=dark, face=face)
        yield from random_samples(screen, rng, vocab, tasks_per_screen, weights)


def write_dataset(out: Path, samples: Iterator[Sample], total: int | None = None) -> int:
    """Write samples to ``out/samples.jsonl`` and ``out/images/``; return how many were written."""
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    written, names = 0, dict[int, str]()
    with (out / "samples.jsonl").open("w", encoding="utf-8") as file, Progress() as progress:
        job = progress.add_task(f"writing {out}", total=total)
        for sample in samples:
            key = id(sample.image)
            if key not in names:
                names[key] = f"screen-{len(names):06d}.png"
                sample.image.save(images / names[key], compress_level=1)
            record = {
                "image": f"images/{names[key]}",
                "task": sample.task,
                "kind": sample.kind,
                "history": [asdict(h) for h in sample.history],
                "target": sample.target,
                "box": sample.box,
            }
            file.write(json.dumps(record) + "\n")
            written += 1
            progress.advance(job)
    return written


def read_dataset(folder: Path) -> Iterator[Sample]:
    """Samples back from a dataset folder."""
    cache: dict[str, Image.Image] = {}
    for line in (folder / "samples.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        name = record["image"]
        if name not in cache:
            cache.clear()
            cache[name] = Image.open(folder / name).convert("RGB")
        yield Sample(
            image=cache[name],
            task=record["task"],
            kind=record["kind"],
            history=tuple(HistoryEntry(**h) for h in record["history"]),
            target=record["target"],
            box=tuple(record["box"]) if record["box"] else None,
        )


def main() -> None:
    """Command line: write a synthetic dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--screens", type=int, default=100)
    parser.add_argument("--split", choices=["train", "heldout"], default="train")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks-per-screen", type=int, default=4)
    args = parser.parse_args()
    samples = synthetic_samples(args.screens, args.split, args.seed, args.tasks_per_screen)
    count = write_dataset(args.out, samples, args.screens * args.tasks_per_screen)
    Path(args.out / "README.txt").write_text(f"{count} samples: {vars(args)}\n")


if __name__ == "__main__":
    main()
