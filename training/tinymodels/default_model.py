"""deskpilot-default: the embedded default model, a small gemma4_unified trained by this project.

Same family and build as the tiny test model; wider and deeper, with one token per integer 0-1000 so
a coordinate is one choice, and a folder that asks deskpilot for the compact prompt (no tool list:
the model knows its tools; constrained decoding enforces the schema).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

from training.tinymodels.common import write_json
from training.tinymodels.family import TinyFamily
from training.tinymodels.gemma4_unified import FAMILY as TINY
from training.tinymodels.gemma4_unified import MAX_SOFT_TOKENS, Geometry, hf_model, image_processor

GEOMETRY = Geometry(
    hidden_size=256,
    intermediate_size=1024,
    layer_types=("sliding_attention", "full_attention") * 3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=64,
    global_head_dim=64,
    mm_embed_dim=256,
    initializer_range=0.02,
)


def family(geometry: Geometry = GEOMETRY, soft_tokens: int = MAX_SOFT_TOKENS) -> TinyFamily:
    """The default model's family at a geometry (a widened model has its own) and an image-token
    budget (the processor's ``max_soft_tokens``)."""
    return dataclasses.replace(
        TINY,
        name="deskpilot-default",
        hf_model=functools.partial(hf_model, geometry=geometry, number_tokens=True),
        image_processor=image_processor(soft_tokens),
    )


FAMILY = family()


def geometry_of(state: dict[str, Any]) -> Geometry:
    """The geometry a checkpoint was trained at (checkpoints before widening carry none)."""
    fields = dict(state.get("geometry") or {})
    if "layer_types" in fields:
        fields["layer_types"] = tuple(fields["layer_types"])
    return dataclasses.replace(GEOMETRY, **fields)


def soft_tokens_of(state: dict[str, Any]) -> int:
    """The image-token budget a checkpoint was trained at (280 before it was recorded)."""
    return int(state.get("soft_tokens") or MAX_SOFT_TOKENS)


def write_deskpilot_file(folder: Path, card: dict[str, Any]) -> None:
    """deskpilot.json: the prompt style the model was trained on, that text the task quotes is
    typed as quoted and other typed text is a run of the task's words (decoding cannot misspell
    either), whether it reads the screen's text (as it was trained: ``screen_text`` in the card),
    and where the model came from."""
    facts = {
        "prompt": "compact",
        "copy_quoted": True,
        "copy_words": True,
        "screen_text": False,
        **card,
    }
    write_json(folder / "deskpilot.json", facts)


def build(
    folder: Path,
    seed: int,
    precision: str,
    state_dict: dict[str, Any],
    card: dict[str, Any],
    family: TinyFamily = FAMILY,
) -> None:
    """The shippable folder from trained weights."""
    family.build(folder, seed, precision, state_dict=state_dict)
    write_deskpilot_file(folder, card)
