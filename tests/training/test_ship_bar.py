"""The default model's ship bar (training/build_default_model.py): an int4 build ships only where
it matches the text-match baseline on every suite the eval ran."""

from __future__ import annotations

from training.build_default_model import passes


def row(
    model: str, suite: str, inside: str, typed: str = "100.0%", false: str = "0.0%"
) -> dict[str, str]:
    return {
        "model": model,
        "suite": suite,
        "click inside": inside,
        "typed exactly": typed,
        "false clicks": false,
    }


def test_a_build_that_matches_the_baseline_everywhere_ships() -> None:
    rows = [
        row("fp32", "tk", "70.0%"),  # the fp32 build is shown, not judged
        row("int4 (MatMulNBits)", "tk", "86.4%", false="12.5%"),
        row("text-match", "tk", "72.7%", false="12.5%"),
        row("int4 (MatMulNBits)", "edge", "71.6%", typed="-"),
        row("text-match", "edge", "71.6%", typed="-"),
    ]
    assert passes(rows) == []


def test_trailing_the_baseline_anywhere_keeps_it_back() -> None:
    rows = [
        row("int4", "unseen", "84.2%", false="25.0%"),
        row("text-match", "unseen", "86.0%"),
        row("int4", "dialogs", "93.3%", typed="92.0%"),
        row("text-match", "dialogs", "53.3%"),
        row("int4", "synthetic", "90.0%"),
    ]
    short = passes(rows)
    assert short == [
        "unseen: click inside 84.2% < the baseline's 86%",
        "unseen: false clicks 25% > the baseline's 0%",
        "dialogs: typed exactly 92% < the baseline's 100%",
        "synthetic: no baseline row to compare with",
    ]
