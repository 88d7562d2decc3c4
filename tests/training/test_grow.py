"""Growing a trained model (train_default.py --width / --depth) must not change what it computes:
the grown model starts where the narrow or shallow one stood, and training takes it on from there."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from training.tinymodels.deepen import deepen_state, deepened, new_index
from training.tinymodels.gemma4_unified import Geometry, hf_model
from training.tinymodels.widen import widen_head, widen_state

SMALL = Geometry(
    hidden_size=128,
    intermediate_size=256,
    head_dim=32,
    global_head_dim=64,
    layer_types=("sliding_attention", "full_attention"),
    mm_embed_dim=64,
)


def trained_like(geometry: Geometry, seed: int) -> Any:
    """A model of ``geometry`` whose weights are all perturbed, as training leaves them (a fresh
    init has exact zeros and ones that could hide a misplaced weight)."""
    _, model = hf_model(seed, geometry=geometry)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            parameter.add_(0.05 * noise * (parameter.abs().mean() + 0.02))
    return model


def logits(model: Any, ids: Any, eps: float = 1e-6) -> Any:
    """The text logits; ``eps`` is every RMSNorm's epsilon (HF's is 1e-6). Widening needs 0: a
    norm over more (zero) dims divides a smaller mean square, so the epsilon weighs more there;
    on tiny MLP outputs that alone moves the logits by ~3e-3. The widening is exact but for that
    term. Deepening needs it kept: a new layer's writers are zero, and the norm of zeros is zero
    only with an epsilon."""
    for module in model.modules():
        if hasattr(module, "eps"):
            module.eps = eps
    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.fixture(scope="module")
def narrow() -> Any:
    return trained_like(SMALL, seed=7)


@pytest.fixture(scope="module")
def ids(narrow: Any) -> Any:
    vocab = narrow.config.text_config.vocab_size
    return torch.randint(0, vocab, (2, 24), generator=torch.Generator().manual_seed(1))


def test_a_widened_model_computes_what_the_narrow_one_did(narrow: Any, ids: Any) -> None:
    wide = dataclasses.replace(
        SMALL, hidden_size=192, intermediate_size=512, num_attention_heads=6, num_key_value_heads=3
    )
    _, grown = hf_model(7, geometry=wide)
    grown.load_state_dict(widen_state(narrow.state_dict(), SMALL, wide, seed=3))
    before, after = logits(narrow, ids, eps=0.0), logits(grown, ids, eps=0.0)
    assert before.shape == after.shape
    torch.testing.assert_close(after, before, atol=2e-4, rtol=1e-4)
    # the new dims are really there, and what reads the stream sees them (noise, not zeros)
    q = grown.state_dict()["model.language_model.layers.0.self_attn.q_proj.weight"]
    assert q.shape[1] == 192 and q[:, 128:].abs().sum() > 0


def test_widening_refuses_a_shrink_or_a_changed_head_ratio(narrow: Any) -> None:
    state = narrow.state_dict()
    with pytest.raises(ValueError, match="not a widening"):
        widen_state(state, SMALL, dataclasses.replace(SMALL, hidden_size=64))
    with pytest.raises(ValueError, match="query heads per KV head"):
        widen_state(state, SMALL, dataclasses.replace(SMALL, num_attention_heads=6))


def test_the_training_head_keeps_its_outputs_when_widened() -> None:
    head = torch.nn.Linear(128, 1)
    wide = torch.nn.Linear(192, 1)
    wide.load_state_dict(widen_head(head.state_dict(), 192))
    x = torch.randn(5, 128)
    padded = torch.cat([x, torch.randn(5, 64)], dim=1)  # whatever the new dims hold
    with torch.no_grad():
        torch.testing.assert_close(wide(padded), head(x))


def test_a_deepened_model_computes_what_the_shallow_one_did(narrow: Any, ids: Any) -> None:
    deep = deepened(SMALL, 4)
    assert deep.layer_types == SMALL.layer_types * 2
    _, grown = hf_model(7, geometry=deep)
    grown.load_state_dict(deepen_state(narrow.state_dict(), SMALL, deep))
    torch.testing.assert_close(logits(grown, ids), logits(narrow, ids), atol=2e-4, rtol=1e-4)
    # six layers to twelve: new pairs follow each old pair, so the old full-attention layer 3
    # (where the pointing loss reads) sits at 5
    assert new_index(3, 6, 12) == 5 and new_index(1, 6, 12) == 1


def test_deepening_needs_a_larger_multiple_of_the_depth() -> None:
    with pytest.raises(ValueError, match="multiple"):
        deepened(SMALL, 3)
    with pytest.raises(ValueError, match="multiple"):
        deepened(SMALL, 2)
