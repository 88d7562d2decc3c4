"""The eval's arithmetic, checked with an oracle, a random and a broken model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

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
    typing = [
        s
        for s in synthetic_samples(40, "train", seed=4, free_text=1.0)
        if s.target["name"] == "type_text"
    ]
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
    model = FunctionModel(
        lambda r: json.dumps({"name": "click", "arguments": {"x": 0, "y": 0}}),
        space=CoordinateSpace.normalized(),
    )
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

    result = evaluate(
        FunctionModel(clicks_anyway, space=CoordinateSpace.normalized()), "edge", edge_samples(2)
    )
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


def test_the_96_words_rung_has_three_named_widgets_from_96_words_on_every_screen() -> None:
    from deskpilot.data.evaluate import suite_samples

    samples = list(suite_samples("96-words", 6))
    assert len(samples) == 24 and all(len(s.elements) == 3 for s in samples)
    assert {s.kind for s in samples} <= {"click", "not_found"}
    assert all(s.elements[0].window == "desktop" for s in samples)


def test_a_requirement_names_its_suite_column_and_bound() -> None:
    from deskpilot.data.evaluate import Requirement

    need = Requirement.parse("tk: click inside >= 80%")
    assert (need.suite, need.column, need.at_least, need.bound) == ("tk", "click inside", True, 80)
    need = Requirement.parse("p50 ms<=250")
    assert (need.suite, need.column, need.at_least, need.bound) == (None, "p50 ms", False, 250)


def test_a_bad_requirement_says_what_is_wrong() -> None:
    import pytest

    from deskpilot.data.evaluate import Requirement

    with pytest.raises(ValueError, match="no >= or <="):
        Requirement.parse("click inside=30")
    with pytest.raises(ValueError, match=r"no column 'clicks'.*click inside"):
        Requirement.parse("clicks>=30")
    with pytest.raises(ValueError, match="'thirty' is not a number"):
        Requirement.parse("click inside>=thirty")


def test_only_the_rows_below_a_bar_are_reported() -> None:
    from deskpilot.data.evaluate import Requirement, SuiteResult, unmet

    good = {"model": "m", **SuiteResult(name="tk", total=4, pointer=4, inside=4, valid=4).row()}
    bad = {"model": "m", **SuiteResult(name="edge", total=4, pointer=4, inside=1, valid=4).row()}
    bars = [Requirement.parse("click inside>=50"), Requirement.parse("tk:false clicks<=10")]
    assert unmet([good, bad], bars) == [
        "m tk: false clicks has no samples (needs <= 10)",
        "m edge: click inside 25.0%, needs >= 50",
    ]
    assert unmet([bad], [Requirement.parse("tk:click inside>=50")]) == []
    assert unmet([good], [Requirement.parse("p50 ms<=0")]) == []  # no latencies: 0 ms


def test_the_cli_refuses_a_bar_for_a_suite_it_does_not_run() -> None:
    from typer.testing import CliRunner

    from deskpilot.cli import app

    models = Path(__file__).parents[1] / "models"
    result = CliRunner().invoke(
        app,
        [
            "model",
            "eval",
            str(models / "gemma4_unified-tiny"),
            "--suite",
            "edge",
            "--require",
            "tk:click inside>=80",
        ],
    )
    words = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert result.exit_code == 2 and "'tk'] that this run does not evaluate" in words
    result = CliRunner().invoke(app, ["model", "eval", "--require", "clicks>=3"])
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "no column 'clicks'" in words


def test_a_click_on_another_element_counts_as_a_misreading_and_a_miss_does_not() -> None:
    from deskpilot.data.evaluate import suite_samples

    by_task = {s.task: s for s in suite_samples("96-words", 5) if s.kind == "click"}
    clicks = list(by_task.values())  # one screen per task, so the task says which screen

    def clicking(pick_other: bool) -> FunctionModel:
        def answer(request: ModelRequest) -> str:
            sample = by_task[request.task]
            other = next(e.box for e in sample.elements if e.box != sample.box)
            x0, y0, x1, y1 = other if pick_other else (0, 0, 0, 0)  # (0, 0): the empty corner
            point = {"x": (x0 + x1) // 2, "y": (y0 + y1) // 2}
            return json.dumps({"name": "click", "arguments": point})

        width, height = clicks[0].image.size
        return FunctionModel(answer, space=CoordinateSpace.screen(width, height))

    misread = evaluate(clicking(pick_other=True), "u", clicks)
    assert misread.inside == 0 and misread.elsewhere == misread.pointer == len(clicks)
    assert misread.row()["on another element"] == "100.0%"
    missed = evaluate(clicking(pick_other=False), "u", clicks)
    assert missed.inside == missed.elsewhere == 0


def test_the_edge_suites_scaled_screens_scale_their_elements_too() -> None:
    from deskpilot.data.evaluate import edge_samples

    _, tiny, huge, _ = list(edge_samples(1))
    assert tiny.image.width * 4 == huge.image.width
    for small, big in zip(tiny.elements, huge.elements, strict=True):
        assert [4 * v for v in small.box] == pytest.approx(big.box, abs=4)
    assert tiny.box in [e.box for e in tiny.elements]


def test_the_first_screens_are_kept_with_what_became_of_them_and_drawn_in_a_report(
    tmp_path: Path,
) -> None:
    from deskpilot.data.eval_report import VERDICTS, write_report
    from deskpilot.data.evaluate import suite_samples

    kept = evaluate(
        FunctionModel(oracle, space=CoordinateSpace.normalized()), "unseen", SAMPLES, pictures=5
    )
    assert [e.task for e in kept.examples] == [s.task for s in SAMPLES[:5]]
    assert all(VERDICTS[e.verdict][1] == "good" for e in kept.examples)
    clicks = [e for e in kept.examples if e.expected == "click"]
    assert clicks and all(e.point and e.target for e in clicks)
    assert all(e.jpeg.startswith(b"\xff\xd8") for e in kept.examples)  # JPEG thumbnails

    samples = list(suite_samples("edge", 2))  # a dark, a tiny, a huge screen; an empty task
    corner = FunctionModel(
        lambda r: json.dumps({"name": "click", "arguments": {"x": 0, "y": 0}}),
        space=CoordinateSpace.normalized(),
    )
    wrong = evaluate(corner, "edge", samples, pictures=len(samples))
    verdicts = {e.verdict for e in wrong.examples}
    assert "false_click" in verdicts and verdicts <= {"missed", "elsewhere", "false_click"}
    assert evaluate(corner, "edge", samples).examples == []  # none kept unless asked

    page = write_report(
        tmp_path / "r" / "eval.html", "eval <1>", [wrong.row()], [("tiny", "edge", wrong.examples)]
    )
    text = page.read_text()
    assert text.count('<img alt="screen"') == len(samples) and text.count("<circle") == len(samples)
    assert "eval &lt;1&gt;" in text and "(empty task)" in text and "false click" in text
