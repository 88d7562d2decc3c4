"""A curriculum rung through the real runtime: an exported genai folder, free-running decoding with
constrained JSON, on the rung's own screens (issue 4).

The readout probe is PyTorch and teacher-forced; this is what the agent would see. Same rows as
``deskpilot model eval``, on click tasks (and, with ``--not-found``, "not on the screen" tasks) drawn
with the rung's knobs:

    python -m training.train_default --out runs/cur22 --export runs/cur22/int4
    python -m training.rung_eval runs/cur22/int4 --widgets 3 --at-least 3 --words 12 \\
        --font-sizes 28,28 --grid-jitter 24 --face 1 --theme light --screens 40
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.evaluate import EVAL_SEED, evaluate
from deskpilot.data.tasks import Sample, random_samples
from deskpilot.data.vocab import Vocabulary
from deskpilot.runtime.genai import GenaiModel
from training.data.screenpool import capture_tk_dialogs
from training.tinymodels.stream import POOLS, font_sizes


def arguments() -> argparse.ArgumentParser:
    """The rung's knobs (the data engine's, as train_default.py names them) and the folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="+", help="genai folders, side by side")
    parser.add_argument("--widgets", type=int, default=3)
    parser.add_argument("--at-least", type=int, default=1, help="screens with this many widgets+")
    parser.add_argument("--screens", type=int, default=40)
    parser.add_argument("--font-sizes", default="11,16", help="LOW,HIGH label sizes (pixels)")
    parser.add_argument("--words", type=int, help="one-word labels from this many words")
    parser.add_argument("--face", type=int, help="all text in this font face")
    parser.add_argument("--theme", default="any", choices=["any", "light", "dark"])
    parser.add_argument("--grid-jitter", type=int, help="labels near a patch corner (0-48)")
    parser.add_argument("--forms", type=float, default=0.0, help="share of form dialogs")
    parser.add_argument("--type", type=float, default=0.0, help="weight of typing tasks")
    parser.add_argument("--free-text", type=float, default=0.0, help="share of free text to type")
    parser.add_argument("--quote", type=float, default=0.0, help="share of quoted texts to type")
    parser.add_argument("--desktop", type=float, default=0.0, help="share drawn at 1280x800")
    parser.add_argument("--not-found", type=float, default=0.0, help="weight of not-found tasks")
    parser.add_argument(
        "--copy-quoted",
        action="store_true",
        help="type quoted text as quoted when the folder asks to (by default the "
        "rows measure the model's own copying)",
    )
    parser.add_argument(
        "--tk-dialogs",
        type=int,
        help="real Tk dialogs instead of drawn screens: a pool of this many, "
        "captured once on Xvfb (runs/pools)",
    )
    parser.add_argument(
        "--split",
        default="train",
        choices=["train", "heldout"],
        help="label words seen in training, or never seen (heldout)",
    )
    parser.add_argument(
        "--pseudo", type=float, default=0.34, help="without --words: share of made-up label words"
    )
    return parser


def rows(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """Draw the rung's screens and run each folder on them (the same screens): one row each."""
    weights = {"click": 1.0, "not_found": args.not_found}
    if args.type > 0:
        weights["type"] = args.type

    def samples() -> Iterator[Sample]:
        if args.tk_dialogs:
            return itertools.islice(dialogs(), args.screens)
        data = synthetic_samples(
            10**6,
            args.split,
            seed=EVAL_SEED,
            widgets=args.widgets,
            pseudo=args.pseudo,
            weights=weights,
            tasks_per_screen=3 if args.type > 0 else 1,
            forms=args.forms,
            free_text=args.free_text,
            quote=args.quote,
            desktop=args.desktop,
            font_sizes=font_sizes(args.font_sizes),
            words=args.words,
            face=args.face,
            grid_jitter=args.grid_jitter,
            dark={"any": None, "light": False, "dark": True}[args.theme],
        )
        wanted = (s for s in data if len(s.elements) >= args.at_least)
        return (next(wanted) for _ in range(args.screens))

    def dialogs() -> Iterator[Sample]:
        name = f"tk-dialogs-{args.split}-{args.tk_dialogs}"
        pool = capture_tk_dialogs(POOLS / name, args.tk_dialogs, EVAL_SEED, args.split)
        rng = random.Random(EVAL_SEED)
        vocab = Vocabulary(args.split, rng, args.pseudo, None, args.free_text, args.quote)
        tasks = 3 if args.type > 0 else 1
        for number in range(len(pool)):
            yield from random_samples(pool.screen(number), rng, vocab, tasks, weights)

    chances: list[float] = []

    def counted(drawn: Iterator[Sample]) -> Iterator[Sample]:
        """The samples, noting for each click task the chance that one of the screen's named
        elements, picked at random, is the target: the floor a model must clear to be reading."""
        for sample in drawn:
            if sample.box is not None and sample.elements:
                chances.append(1 / len(sample.elements))
            yield sample

    for folder in args.folder:
        chances.clear()
        model = GenaiModel(folder, copy_quoted=None if args.copy_quoted else False)
        result = evaluate(model, folder.name, counted(samples()))
        chance = f"{100 * sum(chances) / max(len(chances), 1):.1f}%"
        yield {"folder": str(folder), **result.row(), "random element": chance}


def main() -> None:
    """Print each folder's row as a JSON line."""
    for row in rows(arguments().parse_args()):
        sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
