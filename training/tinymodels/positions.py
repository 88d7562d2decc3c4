"""Carry a trained model to another image-token budget: stretch its 2-D position embedding.

gemma4_unified adds a factorized position embedding to each patch: one row per column (axis 0)
and one per row (axis 1), ``pos_embedding[size, 2, dim]``. A model trained at 280 image tokens
has seen columns 0-20 and rows 0-12 of a 1280x800 screen; at 448 tokens the same screen is 26x16
patches, and rows past the trained ones are still their random start (a model that never saw
them clicks nowhere near its target). Resampling the trained rows onto the new grid, as ViTs do
when their resolution changes, gives each new column the embedding of the place it covers on the
screen: the normalized coordinates the model reads off positions stay right, and training at the
new budget starts from there instead of from noise.
"""

from __future__ import annotations

import math
from typing import Any

from training.tinymodels.encoding import PATCH

REFERENCE_SCREEN = (1280, 800)  # the desktop the demo, the Tk suite and --desktop screens use


def patch_grid(soft_tokens: int, width: int, height: int) -> tuple[int, int]:
    """Columns and rows of 48-px patches a ``width`` x ``height`` screen becomes at a budget of
    ``soft_tokens`` (genai's gemma4 processor: scaled, up or down, to the budget's area, then cut
    to whole patches)."""
    scale = math.sqrt(soft_tokens * PATCH * PATCH / (width * height))
    return max(1, int(width * scale) // PATCH), max(1, int(height * scale) // PATCH)


def stretch_positions(table: Any, old: tuple[int, int], new: tuple[int, int]) -> Any:
    """``table`` [size, 2, dim] with columns ``0..old[0]-1`` and rows ``0..old[1]-1`` trained ->
    a copy whose first ``new[0]`` columns and ``new[1]`` rows are the trained ones resampled
    linearly (patch centres matched: new index i covers the old fraction (i + 0.5) / new).
    Entries past the new grid are kept as they were."""
    import torch

    stretched = table.clone()
    for axis in (0, 1):
        trained, wanted = old[axis], new[axis]
        if wanted > table.shape[0]:
            raise ValueError(
                f"a grid of {wanted} needs {wanted} position rows; the table has {table.shape[0]}"
            )
        centres = (torch.arange(wanted, dtype=torch.float32) + 0.5) * trained / wanted - 0.5
        centres = centres.clamp(0, trained - 1)
        low = centres.floor().long()
        high = (low + 1).clamp(max=trained - 1)
        share = (centres - low.float())[:, None].to(table.dtype)
        rows = table[:, axis]
        stretched[:wanted, axis] = rows[low] * (1 - share) + rows[high] * share
    return stretched


def carry_to_budget(state: dict[str, Any], old_tokens: int, new_tokens: int) -> tuple[int, int]:
    """Stretch a checkpoint's model weights (in place) from one image-token budget to another, on
    the reference screen's grid; returns the new grid."""
    key = "model.embed_vision.pos_embedding"
    old = patch_grid(old_tokens, *REFERENCE_SCREEN)
    new = patch_grid(new_tokens, *REFERENCE_SCREEN)
    state[key] = stretch_positions(state[key], old, new)
    return new
