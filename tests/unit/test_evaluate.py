"""The eval's arithmetic, checked with an oracle, a random and a broken model."""

from __future__ import annotations

import json
import random

from deskpilot.coords import CoordinateSpace
from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.evaluate import evaluate
from deskpilot.data.tasks import Sample
from deskpilot.runtime import FunctionModel
from deskpilot.runtime.base import ModelRequest

SAMPLES = list(synthetic_samples(6, "heldout", seed=3))
ANSWERS = {(s.task, len(s.history)): s.target for s in SAMPLES}


def oracle(request: ModelRequest) -> str:
    return json.dumps(ANSWERS[(request.task, len(request.history))])


def test_an_oracle_scores_full_marks() -> None:
    result = evaluate(FunctionModel(oracle, space=CoordinateSpace.normalized()), "unseen", SAMPLES)
    row = result.row()
    assert result.total == len(SAMPLES) > 10
    assert row["valid calls"] == row["action type"] == "100.0%"
    assert row["click inside"] == "100.0%" and result.pointer > 0
    assert row["false clicks"] in ("0.0%", "-")


def test_random_clicks_score_low_and_garbage_is_invalid() -> None:
    rng = random.Random(0)

    def random_click(request: ModelRequest) -> str:
        return json.dumps(
            {"name": "click", "arguments": {"x": rng.randint(0, 1000), "y": rng.randint(0, 1000)}}
        )

    result = evaluate(FunctionModel(random_click, space=CoordinateSpace.normalized()), "u", SAMPLES)
    assert result.valid == result.total
    assert result.inside < 0.3 * max(result.pointer, 1)
    assert result.false_clicks == result.not_found
    broken = evaluate(FunctionModel(lambda r: "not json"), "u", SAMPLES)
    assert broken.valid == 0 and broken.row()["valid calls"] == "0.0%"


def test_a_right_type_in_the_wrong_place_is_not_inside() -> None:
    sample: Sample = next(s for s in SAMPLES if s.box is not None and s.target["name"] == "click")
    model = FunctionModel(lambda r: json.dumps({"name": "click", "arguments": {"x": 0, "y": 0}}),
                          space=CoordinateSpace.normalized())  # fmt: skip
    result = evaluate(model, "u", [sample])
    assert (result.right_type, result.inside, result.pointer) == (1, 0, 1)
