"""A smooth start for the coordinate readout of the default model (issue 4).

Trained from random weights, the model learned the answer format in a hundred updates but never
learned to read a position out of the image: every click went to the prior's mode, even on
screens with a single widget. With 1,001 unrelated number tokens and an unrelated 2-D position
table, "copy the target patch's position into the answer" is a saddle that plain gradient descent
did not leave. This module starts the weights where that copy is a linear map:

- the x (y) entry of every patch column (row) in the vision embedder's position table carries a
  Fourier code of the column's (row's) centre in 0-1000 space, in its own block of dimensions;
- the final vision projection starts as a scaled identity, so the code reaches the decoder as is;
- each number token 0-1000 carries the code of its value in a third block, so the tied LM head
  scores a value by how close it is to the code a hidden state carries there;
- in the pointing layer, key/value head 0 starts by reading the x block and head 1 the y block,
  and the output projection writes both into the number block: the x-pointing query head (0)
  brings the target's x code, the y-pointing one (2) its y code (the pointing loss in
  train_default.py teaches each to look at the target only when its own axis is asked for);
- every other layer's sandwich norms (after attention, after the MLP) start at ``residual_scale``:
  at 1.0 each of the 12 sublayers adds a unit-RMS vector to a residual stream whose embeddings have
  RMS ~0.3, and the position code is gone by the pointing layer (measured: with attention forced
  onto the target, the readout's x was unrelated to the target's; at 0.03 it lands within ~50).

Only the starting point changes: every weight is still trained, and export is untouched.
"""

from __future__ import annotations

import math
from typing import Any

CODE_DIMS = 64  # per axis: 32 frequencies x (sin, cos)
GRID = (21, 13)  # patch columns and rows of a 16:10 screen at the 280-token budget


def fourier_code(values: Any) -> Any:
    """A [len(values), CODE_DIMS] unit-norm code of values in 0-1000; near values, near codes."""
    import torch

    frequencies = torch.logspace(math.log10(0.5), math.log10(48.0), CODE_DIMS // 2)
    angles = 2 * math.pi * values[:, None].float() / 1000 * frequencies[None, :]
    code = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    return code / code.norm(dim=1, keepdim=True)


def smooth_readout_init(
    model: Any, number_ids: Any, point_layer: int, scale: float = 8.0, residual_scale: float = 0.03
) -> None:
    """Write the position and number codes into ``model`` (a fresh Gemma4Unified model)."""
    import torch

    vision = model.model.embed_vision
    embed = model.model.language_model.embed_tokens.weight
    table = vision.pos_embedding  # [positions, 2 axes, mm_embed]
    x_block, y_block = slice(0, CODE_DIMS), slice(CODE_DIMS, 2 * CODE_DIMS)
    number_block = slice(2 * CODE_DIMS, 3 * CODE_DIMS)
    with torch.no_grad():
        table.normal_(0.0, 0.3)
        for axis, (count, block) in enumerate(((GRID[0], x_block), (GRID[1], y_block))):
            centres = (torch.arange(table.shape[0]) + 0.5) * 1000 / count
            table[:, axis, block] = scale * fourier_code(centres.clamp(max=1000))
        projection = vision.multimodal_embedder.embedding_projection.weight
        rms = float(embed.std()) * math.sqrt(embed.shape[1])  # a text token's input scale
        projection.copy_(torch.eye(*projection.shape) * rms)
        values = torch.arange(len(number_ids))
        norm = float(embed[number_ids].norm(dim=1).mean())
        embed[number_ids] *= 0.5
        embed[number_ids, number_block] += norm * fourier_code(values)
        attention = model.model.language_model.layers[point_layer].self_attn
        head = attention.head_dim
        value, output = (
            attention.v_proj.weight,
            attention.o_proj.weight,
        )  # [kv*head, hidden], [hidden, q*head]
        groups = output.shape[1] // value.shape[0]  # query heads per key/value head
        for kv, block in enumerate((x_block, y_block)):
            value[kv * head : (kv + 1) * head].zero_()
            value[kv * head : kv * head + CODE_DIMS, block] = torch.eye(CODE_DIMS)
            query = kv * groups  # the first query head of this key/value head
            output[:, query * head : (query + 1) * head].zero_()
            output[number_block, query * head : query * head + CODE_DIMS] = torch.eye(CODE_DIMS)
        for index, layer in enumerate(model.model.language_model.layers):
            layer.post_feedforward_layernorm.weight.fill_(residual_scale)
            if index != point_layer:
                layer.post_attention_layernorm.weight.fill_(residual_scale)
    if model.lm_head.weight.data_ptr() != embed.data_ptr():
        raise SystemExit("the readout init expects tied input and output embeddings")
