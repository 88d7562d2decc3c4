"""Attention for training: eager (which returns its weights) only in the layers the pointing and
copying losses read, PyTorch's fused scaled-dot-product attention in the others.

transformers picks one attention function for the whole model; the losses need the weights of two
layers, so every layer used to run eager. This registers one more implementation that dispatches
per layer. Both kinds read the same additive float mask (the one transformers builds for eager), so
the computation is the same up to rounding; the untapped layers' weights come back empty."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NAME = "deskpilot_tapped"


def use_tapped_attention(model: Any, layers: Iterable[int]) -> None:
    """Run ``model`` (a gemma4_unified HF model) with eager attention in ``layers`` (0-based decoder
    layer indices) and SDPA everywhere else."""
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import AttentionMaskInterface, eager_mask
    from transformers.models.gemma4_unified import modeling_gemma4_unified

    eager = modeling_gemma4_unified.eager_attention_forward
    tapped = frozenset(layers)

    def forward(module: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if module.layer_idx in tapped:
            return eager(module, *args, **kwargs)  # type: ignore[no-any-return,unused-ignore]
        output, _ = sdpa_attention_forward(module, *args, **kwargs)
        return output, output.new_zeros(0)  # keeps out.attentions indexed by layer

    AttentionInterface.register(NAME, forward)
    AttentionMaskInterface.register(NAME, eager_mask)
    model.set_attn_implementation(NAME)
