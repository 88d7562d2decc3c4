"""Keeping a checkpoint in git (`build_default_model --keep`): the weights in bf16 without the
optimizer, and everything the export and the next run's ``--init`` read from it kept with them."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from training.build_default_model import keep_checkpoint


def test_the_kept_checkpoint_carries_the_options_but_not_the_optimizer(tmp_path: Path) -> None:
    embed = torch.randn(16, 8)
    state = {
        "model": {"embed.weight": embed, "lm_head.weight": embed, "steps": torch.tensor(3)},
        "head": {"bias": torch.zeros(4)},
        "optimizer": {"state": {0: {"exp_avg": torch.randn(16, 8)}}},
        "rng": torch.zeros(8, dtype=torch.uint8),
        "step": 600,
        "samples": 2400,
        "seconds": 966.0,
        "soft_tokens": 448,
        "screen_text": True,
        "named_places": True,
        "lineage": [{"argv": ["--steps", "600"], "updates": 600}],
    }
    source = tmp_path / "checkpoint.pt"
    torch.save(state, source)
    dest = tmp_path / "kept" / "curriculum.pt"

    keep_checkpoint(source, dest)

    kept = torch.load(dest, weights_only=False)
    assert "optimizer" not in kept and "rng" not in kept
    # the export writes these into deskpilot.json, and --init continues with them
    assert kept["screen_text"] is True and kept["named_places"] is True
    assert kept["soft_tokens"] == 448 and kept["lineage"] == state["lineage"]
    weights = kept["model"]
    assert weights["embed.weight"].dtype == torch.bfloat16
    assert torch.allclose(weights["embed.weight"].float(), embed, atol=0.02)
    assert weights["steps"].dtype == torch.int64  # only floating tensors are halved
    # tied weights stay one tensor
    assert weights["embed.weight"].data_ptr() == weights["lm_head.weight"].data_ptr()
    facts = json.loads(dest.with_suffix(".json").read_text())
    assert facts["screen_text"] is True and facts["step"] == 600
    assert "model" not in facts and "head" not in facts
