"""The default model trainer's command line (`python -m training.train_default --help`): what to
train from, on which data, for how long, and what to export."""

from __future__ import annotations

import argparse
from pathlib import Path

from training.tinymodels.objectives import POINT_LAYER
from training.tinymodels.stream import POOLS

DESCRIPTION = "Train the embedded default model; resumable, seeded, with progress and a JSONL log."


def arguments() -> argparse.Namespace:
    """The command line: what to train from, on which data, for how long."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=100_000, help="optimizer updates at most")
    parser.add_argument("--minutes", type=float, default=100.0, help="this run's wall clock")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        help="stop once the checkpoint's training time (all runs together) reaches this",
    )
    parser.add_argument("--schedule-steps", type=int, default=6000, help="LR decay's updates")
    parser.add_argument("--batch", type=int, default=4, help="samples per update (accumulated)")
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--patch-weight", type=float, default=0.5)
    parser.add_argument("--read-weight", type=float, default=1.0)
    parser.add_argument("--point-weight", type=float, default=1.0)
    parser.add_argument(
        "--copy-weight",
        type=float,
        default=0.0,
        help="weight of the copying loss (one head looks at the task token an answer token copies)",
    )
    parser.add_argument(
        "--choice-weight",
        type=float,
        default=1.0,
        help="weight of the choosing loss (with --screen-text: the right one among the places the "
        "task names, as text-target decoding chooses)",
    )
    parser.add_argument(
        "--point-layer",
        type=int,
        default=POINT_LAYER,
        help="the full-attention layer that learns to point (0-based)",
    )
    parser.add_argument("--pseudo", type=float, default=0.1, help="share of made-up label words")
    parser.add_argument(
        "--open-labels",
        type=float,
        default=0.0,
        help="with --words: share of screens whose labels come from the whole vocabulary, one or "
        "two words, --pseudo of them made up (a second stream beside the closed word list)",
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="compute in bfloat16 autocast (weights and optimizer stay float32): ~1.3x faster "
        "on CPUs with AVX512-BF16; float32 (with a warning) on CPUs without it",
    )
    parser.add_argument("--phase", default="a", help="a new phase draws a new data stream")
    parser.add_argument("--forms", type=float, default=0.0, help="share of simple form screens")
    parser.add_argument(
        "--widgets",
        type=int,
        default=0,
        help="screens of 1..N widgets on a bare desktop (first curriculum rungs)",
    )
    parser.add_argument(
        "--font-sizes",
        default="11,16",
        help="with --widgets: the labels' font sizes in pixels, LOW,HIGH (a reading curriculum)",
    )
    parser.add_argument(
        "--words", type=int, help="one-word labels from this many words (a reading curriculum)"
    )
    parser.add_argument(
        "--grid-jitter",
        type=int,
        help="with --widgets: labels start within this many pixels of a patch corner (0-48)",
    )
    parser.add_argument(
        "--face", type=int, help="all text in this font face (an appearance curriculum; 1: Tk's)"
    )
    parser.add_argument(
        "--theme", default="any", choices=["any", "light", "dark"], help="screens' colour themes"
    )
    parser.add_argument(
        "--word-share",
        type=float,
        default=0.0,
        help="share of samples that are word screens (eight labels, reading loss only)",
    )
    parser.add_argument(
        "--open-words",
        type=float,
        default=0.0,
        help="share of word screens whose words come from the whole vocabulary, --pseudo of them "
        "made up (reading beyond the closed word list)",
    )
    parser.add_argument(
        "--word-jitter", type=int, default=48, help="word screens: labels this near a patch corner"
    )
    parser.add_argument(
        "--sparse",
        type=float,
        default=-1.0,
        help="keep this share of plain-background patches (-1: keep all)",
    )
    parser.add_argument(
        "--smooth-init",
        action="store_true",
        help="a fresh model starts with the smooth readout codes (readout_init.py)",
    )
    parser.add_argument(
        "--residual-scale",
        type=float,
        default=0.03,
        help="with --smooth-init: the sandwich norms' starting weight (1.0: HF's init)",
    )
    parser.add_argument(
        "--reading-scale",
        type=float,
        help="set the sandwich norms of the layers below the reading layer to this (a new start)",
    )
    parser.add_argument(
        "--free-text", type=float, default=0.0, help="share of typing tasks with free text"
    )
    parser.add_argument(
        "--quote", type=float, default=0.0, help="share of typing tasks with the text in quotes"
    )
    parser.add_argument(
        "--typing-drills",
        type=float,
        default=0.0,
        help="chance a sample starts a typing drill (type, then done, on a form: copying)",
    )
    parser.add_argument(
        "--desktop",
        type=float,
        default=0.0,
        help="share of widget and form screens drawn at 1280x800 (scaled down, as a real screen)",
    )
    parser.add_argument(
        "--busy",
        type=float,
        default=0.0,
        help="share of busy-window screens (menus, tabs, a list to scroll) among the open-label "
        "screens (--open-labels), beside widgets and forms",
    )
    parser.add_argument(
        "--scroll-drills",
        type=float,
        default=0.0,
        help="chance a sample is a scroll task on a busy window with a list",
    )
    parser.add_argument(
        "--tk-share",
        type=float,
        default=0.0,
        help="share of samples on real Tk dialogs (captured once on Xvfb into runs/pools)",
    )
    parser.add_argument(
        "--tk-dialogs", type=int, default=1500, help="with --tk-share: how many dialogs to capture"
    )
    parser.add_argument("--pools", type=Path, default=POOLS, help="where captured screens are kept")
    parser.add_argument(
        "--screen-text",
        action="store_true",
        help="train with the screen's text in the prompt (the real OCR engine's lines on each "
        "screen, its noise included), as the runtime gives a folder with screen_text; kept in the "
        "checkpoint (runs from it go on with it) and written into the export's deskpilot.json",
    )
    parser.add_argument(
        "--named-places",
        action="store_true",
        help="with --screen-text: the prompt also lists the places the task names (what "
        "text-target decoding chooses from), as the runtime gives a folder with named_places; "
        "kept in the checkpoint and written into the export's deskpilot.json",
    )
    parser.add_argument(
        "--soft-tokens",
        type=int,
        help="image tokens a screenshot may become (the processor's max_soft_tokens; default: the "
        "checkpoint's, else 280); with --init at another budget, its trained position embedding is "
        "stretched onto the new grid first (tinymodels/positions.py)",
    )
    parser.add_argument("--init", type=Path, help="start from this checkpoint's weights only")
    parser.add_argument(
        "--width",
        type=int,
        help="with --init: widen its model to this hidden size first (MLP 4x, heads of 64; "
        "what it computes is unchanged until training writes into the new dims)",
    )
    parser.add_argument(
        "--depth",
        type=int,
        help="with --init: deepen its model to this many layers first (a multiple of its depth; "
        "new layers start as the identity, after each old sliding/full pair)",
    )
    parser.add_argument("--weights", default="", help='task weights as JSON, e.g. {"type": 4}')
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export", type=Path, help="write a genai folder, then stop")
    parser.add_argument(
        "--attention",
        default="eager",
        choices=["tapped", "eager"],
        help="eager in every layer (default: 12%% faster in bf16 here), or only "
        "in the layers the losses read, fused SDPA in the others",
    )
    parser.add_argument("--precision", default="int4", choices=["int4", "int8", "fp32"])
    return parser.parse_args()
