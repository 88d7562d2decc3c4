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


def test_typed_text_counts_only_when_it_is_the_task_text_exactly() -> None:
    typing = [s for s in synthetic_samples(40, "train", seed=4, free_text=1.0)
              if s.target["name"] == "type_text"]  # fmt: skip
    assert len(typing) >= 3
    answers = {s.task: s.target for s in typing}
    exact = evaluate(FunctionModel(lambda r: json.dumps(answers[r.task])), "u", typing)
    assert exact.typed_exactly == exact.typing == len(typing)
    assert exact.row()["typed exactly"] == "100.0%"

    def one_letter_off(request: ModelRequest) -> str:
        text = answers[request.task]["arguments"]["text"]
        return json.dumps({"name": "type_text", "arguments": {"text": text[:-1] + "#"}})

    off = evaluate(FunctionModel(one_letter_off), "u", typing)
    assert off.right_type == off.typing and off.typed_exactly == 0


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


def test_the_edge_suite_holds_the_cases_the_issue_lists() -> None:
    from deskpilot.data.evaluate import edge_samples
    from deskpilot.data.tasks import lands_inside

    samples = list(edge_samples(2))
    assert len(samples) == 8
    sizes = {s.image.size for s in samples}
    assert {(504, 312), (2016, 1248), (1008, 624)} <= sizes
    dark = samples[0].image.convert("L").resize((1, 1)).getpixel((0, 0))
    assert isinstance(dark, int) and dark < 110  # the dark-theme screen is dark
    assert any(len(s.task) > 200 for s in samples)
    empty = [s for s in samples if s.task == ""]
    assert len(empty) == 1 and empty[0].kind == "not_found" and empty[0].box is None
    # A scaled screen keeps its answer: the same normalized point lands inside the scaled box.
    for sample in samples:
        if sample.box is not None:
            assert lands_inside(sample.target, sample.box, sample.image.size)


def test_the_edge_suite_counts_an_empty_task_click_as_a_false_click() -> None:
    from deskpilot.data.evaluate import edge_samples

    def clicks_anyway(request: ModelRequest) -> str:
        return '{"name": "click", "arguments": {"x": 500, "y": 500}}'

    result = evaluate(FunctionModel(clicks_anyway, space=CoordinateSpace.normalized()), "edge",
                      edge_samples(2))  # fmt: skip
    assert (result.not_found, result.false_clicks) == (1, 1)


def test_the_curriculum_suites_put_one_to_three_named_widgets_on_a_bare_desktop() -> None:
    from deskpilot.data.evaluate import suite_samples

    for name, most in (("one-widget", 1), ("few-widgets", 3)):
        samples = list(suite_samples(name, 8))
        counts = {len(s.elements) for s in samples}
        assert counts <= set(range(1, most + 1)) and max(counts) == most
        assert {s.kind for s in samples} <= {"click", "not_found"}
        clicks = [s for s in samples if s.kind == "click"]
        assert clicks and all(s.box in [e.box for e in s.elements] for s in clicks)
        assert all(s.elements[0].window == "desktop" for s in samples)
    assert [s.task for s in suite_samples("one-widget", 3)] == [
        s.task for s in suite_samples("one-widget", 3)
    ]


def test_an_unknown_suite_names_the_known_ones() -> None:
    import pytest

    from deskpilot.data.evaluate import suite_samples

    with pytest.raises(ValueError, match="few-widgets"):
        next(suite_samples("widgets", 1))
