"""Deepen a trained gemma4_unified decoder without changing what it computes.

A deeper model starts from a shallower one's weights: every old layer keeps its weights, and after
each pair of old layers (one sliding-window, one full-attention) a new pair is inserted that starts
as the identity. Each layer adds its attention and MLP outputs to the residual stream through a
norm after o_proj and down_proj (Gemma's post-norms), and RMSNorm of zeros is zero: with those two
writers at zero a layer adds nothing (its ``layer_scalar``, which scales the whole stream, stays 1).
The new layer's readers (q/k/v, gate/up) and norms are copies of the old layer it follows, so the
first gradients reach the writers through features that already mean something.
"""

from __future__ import annotations

import re
from typing import Any

from training.tinymodels.gemma4_unified import Geometry

LAYER = re.compile(r"^(model\.language_model\.layers\.)(\d+)\.(.+)$")
WRITERS = ("self_attn.o_proj.weight", "mlp.down_proj.weight")


def deepened(geometry: Geometry, depth: int) -> Geometry:
    """``geometry`` with ``depth`` layers: the old pattern of layer types, repeated."""
    old = len(geometry.layer_types)
    if depth <= old or depth % old:
        raise ValueError(f"deepen: {old} -> {depth} layers must be a multiple of {old}, larger")
    return Geometry(**{**geometry.__dict__, "layer_types": geometry.layer_types * (depth // old)})


def layer_map(old_depth: int, new_depth: int) -> list[tuple[int, bool]]:
    """For each new layer: the old layer it copies, and whether it is that old layer itself (a
    new identity layer copies the old layer of its type just before it)."""
    copies, per_pair = [], new_depth // old_depth
    for pair in range(old_depth // 2):
        for repeat in range(per_pair):
            copies += [(2 * pair, repeat == 0), (2 * pair + 1, repeat == 0)]
    return copies


def deepen_state(state: dict[str, Any], old: Geometry, new: Geometry) -> dict[str, Any]:
    """The state dict of the ``new`` (deeper) model that computes what ``old``'s ``state`` does."""
    old_depth, new_depth = len(old.layer_types), len(new.layer_types)
    if old_depth % 2 or new.layer_types != deepened(old, new_depth).layer_types:
        raise ValueError("deepen: the new layer types must repeat the old pattern")
    layers: dict[int, dict[str, Any]] = {}
    out: dict[str, Any] = {}
    for key, value in state.items():
        match = LAYER.match(key)
        if match:
            layers.setdefault(int(match.group(2)), {})[match.group(3)] = value
        else:
            out[key] = value
    prefix = "model.language_model.layers."
    for index, (source, same) in enumerate(layer_map(old_depth, new_depth)):
        for name, value in layers[source].items():
            copy = value.clone()
            if not same and name in WRITERS:
                copy.zero_()
            out[f"{prefix}{index}.{name}"] = copy
    return out


def new_index(old_index: int, old_depth: int, new_depth: int) -> int:
    """Where old layer ``old_index`` sits in the deepened model (for losses tied to a layer)."""
    return next(
        i
        for i, (source, same) in enumerate(layer_map(old_depth, new_depth))
        if same and source == old_index
    )
