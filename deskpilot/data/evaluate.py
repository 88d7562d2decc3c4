"""The grounding eval: a model against held-out suites, one table.

Suites: ``synthetic`` (new layouts, training vocabulary), ``unseen`` (labels never in training),
``tk`` (real Tk windows on the current display), ``edge`` (dark theme, a tiny and a huge screen, a
very long and an empty instruction); and two curriculum rungs, asked for by name: ``one-widget``
(one widget on a bare desktop: finding it needs no reading) and ``few-widgets`` (one to three:
picking the named one does). Rows: tool-call validity, action-type accuracy,
click-inside-target rate, false clicks on "not on the screen" tasks, p50 / p95 step latency, peak RSS.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import scale_coordinates
from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.tasks import Sample, random_samples
from deskpilot.data.vocab import Vocabulary
from deskpilot.errors import ActionFailed, ModelError, ToolCallError
from deskpilot.runtime.base import Model, ModelRequest
from deskpilot.runtime.genai import peak_rss_mb
from deskpilot.screen import Frame
from deskpilot.tools.registry import ToolRegistry

SUITES = ("synthetic", "unseen", "tk", "edge")  # the suites, run by default
CURRICULUM = {"one-widget": 1, "few-widgets": 3}  # suite -> at most this many widgets per screen
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
    not_found: int = 0
    false_clicks: int = 0
    typing: int = 0
    typed_exactly: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def row(self) -> dict[str, str]:
        """The table row, as percentages and milliseconds."""

        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:.1f}%" if whole else "-"

        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "suite": self.name, "samples": str(self.total), "valid calls": pct(self.valid, self.total),
            "action type": pct(self.right_type, self.total),
            "click inside": pct(self.inside, self.pointer),
            "false clicks": pct(self.false_clicks, self.not_found),
            "typed exactly": pct(self.typed_exactly, self.typing),
            "p50 ms": f"{statistics.median(ordered):.0f}",
            "p95 ms": f"{ordered[max(0, int(len(ordered) * 0.95) - 1)]:.0f}",
            "peak RSS MB": f"{self.peak_rss_mb:.0f}",
        }  # fmt: skip


def suite_samples(name: str, screens: int) -> Iterator[Sample]:
    """The samples of one suite (``tk`` needs a display)."""
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
    elif name == "edge":
        yield from edge_samples(screens)
    elif name in CURRICULUM:
        yield from synthetic_samples(screens, "train", seed=EVAL_SEED, widgets=CURRICULUM[name],
                                     weights={"click": 4, "not_found": 1})  # fmt: skip
    else:
        known = ", ".join((*SUITES, *CURRICULUM))
        raise ValueError(f"unknown suite {name!r}; suites: {known}")


def _scaled(sample: Sample, factor: float) -> Sample:
    width, height = sample.image.size
    size = (round(width * factor), round(height * factor))
    box = None
    if sample.box:
        x0, y0, x1, y1 = (round(v * factor) for v in sample.box)
        box = (x0, y0, x1, y1)
    return dataclasses.replace(sample, image=sample.image.resize(size), box=box)


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
            yield dataclasses.replace(click, task="", kind="not_found", box=None,
                                      target={"name": "fail", "arguments": {"reason": "no task"}})  # fmt: skip
        else:
            yield dataclasses.replace(click, task=f"{click.task} {LONG_TAIL}")


def _lands_in(points: tuple[tuple[int, int], ...], model: Model, frame: Frame,
              box: tuple[int, int, int, int] | None) -> bool:  # fmt: skip
    if not points or box is None:
        return False
    try:
        x, y = scale_coordinates(*points[0], model.coordinate_space(frame), frame.monitor)
    except ActionFailed:
        return False
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def evaluate(model: Model, name: str, samples: Iterable[Sample],
             progress: Callable[[], None] | None = None) -> SuiteResult:  # fmt: skip
    """Score ``model`` on ``samples``."""
    registry = ToolRegistry()
    schema, prompt = registry.call_schema(), tools_prompt(registry)
    result = SuiteResult(name=name)
    for sample in samples:
        frame = Frame.from_image(sample.image)
        request = ModelRequest(task=sample.task, frame=frame, history=sample.history,
                               tool_schema=schema, tool_prompt=prompt)  # fmt: skip
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
            result.typed_exactly += bool(call is not None and call.name == expected
                                         and getattr(call.action, "text", None) == sample.target["arguments"]["text"])  # fmt: skip
        if call is not None:
            result.valid += 1
            result.right_type += call.name == expected
            if pointer and call.name == expected:
                result.inside += _lands_in(call.action.points(), model, frame, sample.box)
        if progress:
            progress()
    result.peak_rss_mb = peak_rss_mb()
    return result
