"""Widen a trained gemma4_unified decoder without changing what it computes.

A wider model (more hidden dims, MLP units and attention heads) starts from a narrower one's
weights: the old weights keep their places, every new dim of the residual stream starts at zero
and stays zero until training writes into it. What writes into the stream (o_proj, down_proj,
the embeddings, the image projection) gets zeros in the new places; what reads from it (q/k/v,
gate/up) gets small random weights there, so gradients reach the writers. RMSNorm averages over
the hidden size, so a stream padded with zeros comes out sqrt(new/old) larger: the norms' weights
are divided by that, the token embeddings too (Gemma scales them by sqrt(hidden)), and the final
norm keeps its weights so the tied LM head's logits come out as before.
"""

from __future__ import annotations

import math
from typing import Any

from training.tinymodels.gemma4_unified import Geometry

TEXT = "model.language_model."
NORMS = (
    "input_layernorm",
    "post_attention_layernorm",
    "pre_feedforward_layernorm",
    "post_feedforward_layernorm",
)


def widen_state(
    state: dict[str, Any], old: Geometry, new: Geometry, seed: int = 0
) -> dict[str, Any]:
    """The state dict of a ``new``-shaped model that computes what ``old``'s ``state`` does.

    Only the hidden size, the MLP width and the number of query/KV heads may grow (head sizes,
    layers and the image embedder stay); the query heads per KV head must stay the same."""
    import torch

    grows = ("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads")
    for field in Geometry.__dataclass_fields__:
        before, after = getattr(old, field), getattr(new, field)
        shrinks = field in grows and after < before
        if shrinks or (field not in grows and after != before):
            raise ValueError(f"widen: {field} {before} -> {after} is not a widening")
    if old.num_attention_heads * new.num_key_value_heads != (
        new.num_attention_heads * old.num_key_value_heads
    ):
        raise ValueError("widen: the query heads per KV head must stay the same")
    h, h2 = old.hidden_size, new.hidden_size
    root = math.sqrt(h2 / h)
    generator = torch.Generator().manual_seed(seed)

    def grown(tensor: Any, shape: tuple[int, ...], fill: str) -> Any:
        """``tensor`` in the top-left corner of a ``shape`` tensor of zeros or small noise."""
        if fill == "zeros":
            out = torch.zeros(shape, dtype=tensor.dtype)
        else:
            out = torch.randn(shape, generator=generator) * new.initializer_range
            out = out.to(tensor.dtype)
        out[tuple(slice(0, n) for n in tensor.shape)] = tensor
        return out

    def norm(weight: Any, divide: float) -> Any:
        out = torch.full((h2,), float(weight.float().mean()) / divide, dtype=weight.dtype)
        out[:h] = weight / divide
        return out

    out: dict[str, Any] = {}
    heads = {
        "q_proj": new.num_attention_heads,
        "k_proj": new.num_key_value_heads,
        "v_proj": new.num_key_value_heads,
    }
    for key, value in state.items():
        name = key.rsplit(".", 2)
        if key in (TEXT + "embed_tokens.weight", "lm_head.weight"):
            out[key] = grown(value / root, (value.shape[0], h2), "zeros")
        elif key == TEXT + "norm.weight":
            out[key] = norm(value, 1.0)
        elif len(name) == 3 and name[1] in NORMS:
            out[key] = norm(value, root)
        elif len(name) == 3 and name[1] in heads:
            rows = heads[name[1]] * (value.shape[0] // _old_heads(old, name[1]))
            out[key] = grown(value, (rows, h2), "noise")
        elif key.endswith("self_attn.o_proj.weight"):
            columns = new.num_attention_heads * (value.shape[1] // old.num_attention_heads)
            out[key] = grown(value, (h2, columns), "zeros")
        elif key.endswith(("mlp.gate_proj.weight", "mlp.up_proj.weight")):
            out[key] = grown(value, (new.intermediate_size, h2), "noise")
        elif key.endswith("mlp.down_proj.weight"):
            out[key] = grown(value, (h2, new.intermediate_size), "zeros")
        elif key.endswith("embedding_projection.weight"):
            out[key] = grown(value, (h2, value.shape[1]), "zeros")
        else:
            out[key] = value
    if "lm_head.weight" in out:  # tied to the token embeddings: one tensor
        out["lm_head.weight"] = out[TEXT + "embed_tokens.weight"]
    return out


def _old_heads(old: Geometry, projection: str) -> int:
    return old.num_attention_heads if projection == "q_proj" else old.num_key_value_heads


def widen_head(state: dict[str, Any], new_hidden: int) -> dict[str, Any]:
    """A training-only linear head on the hidden states, with zero weights on the new dims."""
    import torch

    weight = torch.zeros((state["weight"].shape[0], new_hidden), dtype=state["weight"].dtype)
    weight[:, : state["weight"].shape[1]] = state["weight"]
    return {**state, "weight": weight}
