"""The grounding eval: a model against held-out suites, one table.

Suites: ``synthetic`` (new layouts, training vocabulary), ``unseen`` (labels never in training),
``tk`` (real Tk windows on the current display), ``edge`` (dark theme, a tiny and a huge screen, a
very long and an empty instruction); asked for by name, ``dialogs`` (real Tk dialogs as
applications lay them out, the training pool's kind, with labels never in training) and three
curriculum rungs: ``one-widget``
(one widget on a bare desktop: finding it needs no reading), ``few-widgets`` (one to three:
picking the named one does) and ``96-words`` (the rung the curriculum stands on: three widgets
named from 96 words, labels at 12-20 px anywhere in the patch grid, one face, light).

Rows: tool-call validity, action-type accuracy, click-inside-target rate, clicks on another
element than the named one (misreadings, as against clicks that miss every element), false clicks
on "not on the screen" tasks, typed exactly, p50 / p95 step latency, peak RSS.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import scale_coordinates
from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.eval_report import Example, example
from deskpilot.data.tasks import Sample, random_samples
from deskpilot.data.vocab import Vocabulary
from deskpilot.errors import ActionFailed, ModelError, ToolCallError
from deskpilot.runtime.base import Model, ModelRequest
from deskpilot.runtime.genai import peak_rss_mb
from deskpilot.screen import Frame
from deskpilot.tools.registry import ToolCall, ToolRegistry

SUITES = ("synthetic", "unseen", "tk", "edge")  # the suites, run by default
ON_REQUEST = ("dialogs",)  # run when asked for by name, as the curriculum's rungs are
NEEDS_DISPLAY = ("tk", "dialogs")
# curriculum suite -> the knobs of its screens (``at_least``: only screens with that many widgets)
CURRICULUM: dict[str, dict[str, Any]] = {
    "one-widget": {"widgets": 1},
    "few-widgets": {"widgets": 3},
    "96-words": {"widgets": 3, "at_least": 3, "words": 96, "font_sizes": (12, 20), "face": 1,
                 "dark": False, "grid_jitter": 48},
}  # fmt: skip
LONG_TAIL = (
    "in the window that is open in front of you right now, and please make sure that it is really "
    "the element with exactly this label and not some other element that merely looks similar to "
    "it, because clicking the wrong element could change settings that nobody asked to change"
)
EVAL_SEED = 10_000  # far from any training seed


@dataclass
class SuiteResult:
    """Counts for one suite."""

    name: str
    total: int = 0
    valid: int = 0
    right_type: int = 0
    pointer: int = 0
    inside: int = 0
    elsewhere: int = 0  # pointer tasks whose click landed on another element: a misreading
    not_found: int = 0
    false_clicks: int = 0
    typing: int = 0
    typed_exactly: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    examples: list[Example] = field(default_factory=list)  # the first screens, for pictures

    def row(self) -> dict[str, str]:
        """The table row, as percentages and milliseconds."""

        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:.1f}%" if whole else "-"

        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "suite": self.name,
            "samples": str(self.total),
            "valid calls": pct(self.valid, self.total),
            "action type": pct(self.right_type, self.total),
            "click inside": pct(self.inside, self.pointer),
            "on another element": pct(self.elsewhere, self.pointer),
            "false clicks": pct(self.false_clicks, self.not_found),
            "typed exactly": pct(self.typed_exactly, self.typing),
            "p50 ms": f"{statistics.median(ordered):.0f}",
            "p95 ms": f"{ordered[max(0, int(len(ordered) * 0.95) - 1)]:.0f}",
            "peak RSS MB": f"{self.peak_rss_mb:.0f}",
        }


def suite_samples(name: str, screens: int) -> Iterator[Sample]:
    """The samples of one suite (``tk`` and ``dialogs`` need a display)."""
    if name == "synthetic":
        yield from synthetic_samples(screens, "train", seed=EVAL_SEED)
    elif name == "unseen":
        yield from synthetic_samples(screens, "heldout", seed=EVAL_SEED)
    elif name == "tk":
        from deskpilot.data.tkscreens import tk_screens

        rng = random.Random(EVAL_SEED)
        vocab = Vocabulary("heldout", rng)
        for screen in tk_screens(screens, "heldout", EVAL_SEED):
            yield from random_samples(screen, rng, vocab, 4)
    elif name == "dialogs":
        from deskpilot.data.tkdialogs import tk_dialog_screens

        rng = random.Random(EVAL_SEED)
        vocab = Vocabulary("heldout", rng)
        for screen in tk_dialog_screens(screens, "heldout", EVAL_SEED):
            yield from random_samples(screen, rng, vocab, 4)
    elif name == "edge":
        yield from edge_samples(screens)
    elif name in CURRICULUM:
        knobs = dict(CURRICULUM[name])
        at_least = knobs.pop("at_least", 1)
        drawn = synthetic_samples(
            10**6, "train", seed=EVAL_SEED, weights={"click": 4, "not_found": 1}, **knobs
        )
        yield from itertools.islice((s for s in drawn if len(s.elements) >= at_least), 4 * screens)
    else:
        known = ", ".join((*SUITES, *ON_REQUEST, *CURRICULUM))
        raise ValueError(f"unknown suite {name!r}; suites: {known}")


def _scaled(sample: Sample, factor: float) -> Sample:
    width, height = sample.image.size
    size = (round(width * factor), round(height * factor))

    def scaled(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = (round(v * factor) for v in box)
        return (x0, y0, x1, y1)

    elements = tuple(
        dataclasses.replace(
            e,
            box=scaled(e.box),
            text_box=e.text_box and scaled(e.text_box),
            ink=e.ink and scaled(e.ink),
        )
        for e in sample.elements
    )
    return dataclasses.replace(
        sample,
        image=sample.image.resize(size),
        elements=elements,
        box=sample.box and scaled(sample.box),
    )


def edge_samples(screens: int) -> Iterator[Sample]:
    """Four hard cases per screen: a click on a dark screen, the same click on a tiny (0.5x) and a
    huge (2x) screen, then a very long instruction or, every other screen, an empty one (which
    must not produce a click: it counts with the not-found tasks)."""
    from deskpilot.data.screens import draw_screen

    rng = random.Random(f"edge-{EVAL_SEED}")
    vocab = Vocabulary("train", rng)
    for index in range(screens):
        dark = draw_screen(rng, vocab, (1008, 624), dark=True)
        yield random_samples(dark, rng, vocab, 1, {"click": 1})[0]
        light = draw_screen(rng, vocab, (1008, 624), dark=False)
        click = random_samples(light, rng, vocab, 1, {"click": 1})[0]
        yield _scaled(click, 0.5)
        yield _scaled(click, 2.0)
        if index % 2:
            yield dataclasses.replace(
                click,
                task="",
                kind="not_found",
                box=None,
                target={"name": "fail", "arguments": {"reason": "no task"}},
            )
        else:
            yield dataclasses.replace(click, task=f"{click.task} {LONG_TAIL}")


def _landing(
    points: tuple[tuple[int, int], ...], model: Model, frame: Frame
) -> tuple[int, int] | None:
    """Where the call's first point lands on the screen (None: no point, or off the screen)."""
    if not points:
        return None
    try:
        return scale_coordinates(*points[0], model.coordinate_space(frame), frame.monitor)
    except ActionFailed:
        return None


def _within(point: tuple[int, int] | None, box: tuple[int, int, int, int] | None) -> bool:
    return (
        point is not None
        and box is not None
        and (box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])
    )


def _verdict(
    sample: Sample, call: ToolCall | None, inside: bool, point: tuple[int, int] | None
) -> str:
    """What became of one sample, as a key of `deskpilot.data.eval_report.VERDICTS`."""
    if call is None:
        return "invalid"
    if sample.kind == "not_found":
        return "false_click" if call.action.points() else "declined"
    expected = sample.target["name"]
    if call.name != expected:
        return "wrong_action"
    if sample.box is not None and expected != "fail":
        if inside:
            return "inside"
        on_element = any(_within(point, element.box) for element in sample.elements)
        return "elsewhere" if on_element else "missed"
    if expected == "type_text":
        typed = getattr(call.action, "text", None) == sample.target["arguments"]["text"]
        return "typed" if typed else "mistyped"
    return "right_action"


def evaluate(
    model: Model,
    name: str,
    samples: Iterable[Sample],
    progress: Callable[[], None] | None = None,
    pictures: int = 0,
) -> SuiteResult:
    """Score ``model`` on ``samples``; keep the first ``pictures`` of them as examples."""
    registry = ToolRegistry()
    schema, prompt = registry.call_schema(), tools_prompt(registry)
    result = SuiteResult(name=name)
    for sample in samples:
        frame = Frame.from_image(sample.image)
        request = ModelRequest(
            task=sample.task,
            frame=frame,
            history=sample.history,
            tool_schema=schema,
            tool_prompt=prompt,
        )
        started = time.perf_counter()
        try:
            call = registry.parse(model.next_action(request).text)
        except (ToolCallError, ModelError):
            call = None
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.total += 1
        expected = sample.target["name"]
        pointer = sample.box is not None and expected != "fail"
        result.pointer += pointer
        if sample.kind == "not_found":
            result.not_found += 1
            result.false_clicks += bool(call is not None and call.action.points())
        if expected == "type_text":
            result.typing += 1
            result.typed_exactly += bool(
                call is not None
                and call.name == expected
                and getattr(call.action, "text", None) == sample.target["arguments"]["text"]
            )
        point = _landing(call.action.points(), model, frame) if call is not None else None
        inside = _within(point, sample.box)
        if call is not None:
            result.valid += 1
            result.right_type += call.name == expected
            if pointer and call.name == expected:
                result.inside += inside
                result.elsewhere += not inside and any(
                    _within(point, element.box) for element in sample.elements
                )
        if len(result.examples) < pictures:
            wire = call.to_wire() if call is not None else None
            result.examples.append(
                example(sample, wire, point, _verdict(sample, call, inside, point))
            )
        if progress:
            progress()
    result.peak_rss_mb = peak_rss_mb()
    return result


COLUMNS = tuple(c for c in SuiteResult(name="").row() if c not in ("suite", "samples"))


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """A bar one column of the eval table must clear: ``[SUITE:]COLUMN>=NUMBER`` or ``<=NUMBER``
    (percentages without the sign, milliseconds, megabytes); without a suite, every row's."""

    suite: str | None
    column: str
    at_least: bool
    bound: float

    @classmethod
    def parse(cls, text: str) -> Requirement:
        """``"click inside>=30"``, ``"tk:click inside>=80"``, ``"false clicks<=50"``."""
        for operator in (">=", "<="):
            head, found, number = text.partition(operator)
            if found:
                break
        else:
            raise ValueError(f"requirement {text!r} has no >= or <= (e.g. 'click inside>=30')")
        suite, _, column = head.rpartition(":")
        column = column.strip()
        if column not in COLUMNS:
            raise ValueError(
                f"requirement {text!r}: no column {column!r}; columns: {', '.join(COLUMNS)}"
            )
        try:
            bound = float(number.strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"requirement {text!r}: {number.strip()!r} is not a number") from None
        return cls(
            suite=suite.strip() or None, column=column, at_least=operator == ">=", bound=bound
        )

    def unmet(self, row: dict[str, str]) -> str | None:
        """Why ``row`` misses this bar, or None (a row of another suite never misses it)."""
        if self.suite is not None and row["suite"] != self.suite:
            return None
        text = row[self.column]
        where = f"{row.get('model', '')} {row['suite']}".strip()
        operator = ">=" if self.at_least else "<="
        if text == "-":
            return f"{where}: {self.column} has no samples (needs {operator} {self.bound:g})"
        value = float(text.rstrip("%"))
        if (value >= self.bound) if self.at_least else (value <= self.bound):
            return None
        return f"{where}: {self.column} {text}, needs {operator} {self.bound:g}"


def unmet(rows: Iterable[dict[str, str]], requirements: Iterable[Requirement]) -> list[str]:
    """Every bar a row of the table misses, one line each."""
    rows, requirements = list(rows), list(requirements)
    return [why for row in rows for need in requirements if (why := need.unmet(row)) is not None]
