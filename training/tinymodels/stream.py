"""The default model's training stream: the command line's data knobs -> one endless, seeded
sequence of samples (task screens from a closed word list and, beside it, open labels; word screens
for the reading loss; typing drills)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from collections.abc import Iterator
from pathlib import Path

from deskpilot.data.dataset import SIZES, synthetic_samples
from deskpilot.data.screens import draw_screen
from deskpilot.data.tasks import Sample, samples_for, typing_drill
from deskpilot.data.vocab import Vocabulary
from training.data.screenpool import capture_tk_dialogs
from training.data.wordscreens import draw_words
from training.tinymodels.encoding import reading_sample

POOLS = Path(__file__).resolve().parents[2] / "runs" / "pools"  # captured screens, by default
WEIGHTS = {"click": 6, "double_click": 1, "right_click": 1, "type": 2, "key": 1, "scroll": 1,
           "done": 1, "not_found": 1.5}  # fmt: skip


def font_sizes(text: str) -> tuple[int, int]:
    """ "LOW,HIGH" -> (LOW, HIGH)."""
    low, high = (int(part) for part in text.split(","))
    return low, high


def scroll_drill(
    rng: random.Random, vocab: Vocabulary, dark: bool | None, face: int | None
) -> list[Sample]:
    """A scroll task on a busy window that has a list: the widget and form screens of the
    curriculum have none, and a busy window has one only now and then."""
    while True:
        screen = draw_screen(rng, vocab, rng.choice(SIZES), dark=dark, face=face)
        steps = samples_for(screen, rng, vocab, "scroll")
        if steps:
            return [dataclasses.replace(s, elements=tuple(screen.elements)) for s in steps]


def training_samples(args: argparse.Namespace, phase_seed: int) -> Iterator[Sample]:
    """Samples as ``args`` (train_default.py's command line) asks, deterministic for
    ``phase_seed``. Each source draws from its own generator, so a knob at 0 leaves the others'
    streams as they were (a recipe replays the same screens)."""
    weights = {**WEIGHTS, **json.loads(args.weights or "{}")}
    dark = {"any": None, "light": False, "dark": True}[args.theme]
    sizes = font_sizes(args.font_sizes)

    def screens(seed: int, words: int | None) -> Iterator[Sample]:
        return synthetic_samples(
            10**7,
            "train",
            seed=seed,
            weights=weights,
            pseudo=args.pseudo,
            forms=args.forms,
            widgets=args.widgets,
            font_sizes=sizes,
            words=words,
            grid_jitter=args.grid_jitter,
            face=args.face,
            dark=dark,
            free_text=args.free_text,
            quote=args.quote,
            desktop=args.desktop,
            # a busy window needs more labels than --words allows: only the open-label screens
            busy=args.busy if words is None else 0.0,
        )

    data = screens(phase_seed, args.words)
    open_data = screens(phase_seed + 3, None)  # the whole vocabulary, made-up words among it
    open_rng = random.Random(phase_seed + 4)
    word_rng = random.Random(phase_seed + 1)
    # word screens draw the labels the widget screens draw (one-word, capitalized), in their look
    label_words = [w.capitalize() for w in Vocabulary("train", word_rng, 0.0, args.words).words]
    drill_rng = random.Random(phase_seed + 2)  # drawn from only with --typing-drills
    drill_vocab = Vocabulary("train", drill_rng, 0.0, args.words, args.free_text, args.quote)
    open_word_rng = random.Random(phase_seed + 6)  # drawn from only with --open-words
    open_word_vocab = Vocabulary("train", open_word_rng, args.pseudo)
    dialog_rng = random.Random(phase_seed + 5)  # drawn from only with --tk-share
    dialogs = None
    if args.tk_share > 0:  # real Tk dialogs captured on Xvfb (once; kept in --pools)
        pool = capture_tk_dialogs(args.pools / f"tk-dialogs-{args.tk_dialogs}", args.tk_dialogs)
        dialog_vocab = Vocabulary(
            "train", dialog_rng, args.pseudo, None, args.free_text, args.quote
        )
        dialogs = pool.samples(dialog_rng, dialog_vocab, weights=weights)
    scroll_rng = random.Random(phase_seed + 7)  # drawn from only with --scroll-drills
    scroll_vocab = Vocabulary("train", scroll_rng, args.pseudo)  # a busy window needs many labels
    while True:
        if dialogs is not None and dialog_rng.random() < args.tk_share:
            yield next(dialogs)
        elif args.scroll_drills > 0 and scroll_rng.random() < args.scroll_drills:
            yield from scroll_drill(scroll_rng, scroll_vocab, dark, args.face)
        elif args.typing_drills > 0 and drill_rng.random() < args.typing_drills:
            yield from typing_drill(drill_rng, drill_vocab, sizes, args.face)
        elif word_rng.random() >= args.word_share:
            closed = args.words is None or open_rng.random() >= args.open_labels
            yield next(data if closed else open_data)
        else:
            size, words = word_rng.randint(*sizes), label_words
            if args.open_words > 0 and open_word_rng.random() < args.open_words:
                words = [open_word_vocab.label(max_words=1) for _ in range(16)]
            yield reading_sample(
                draw_words(word_rng, words, size, args.word_jitter, face=args.face, dark=dark)
            )
