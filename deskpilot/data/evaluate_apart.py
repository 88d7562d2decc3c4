"""Evaluating several models side by side, each in a process of its own.

A process's peak resident memory only grows: measured in one process, the second model's row
would carry the first model's memory too. Each model therefore runs its suites in a fresh
(spawned) child, which reports its progress and its results back through queues.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import queue
from collections.abc import Callable, Sequence
from typing import Any

from deskpilot.data.evaluate import SuiteResult, evaluate, suite_samples
from deskpilot.errors import ModelError, UsageError
from deskpilot.runtime.base import Model


def suite_results(
    model: Model, names: Sequence[str], screens: int, tick: Callable[[str], None], pictures: int = 0
) -> list[SuiteResult]:
    """``model`` on each named suite in turn, in this process; ``tick(name)`` after each sample;
    each suite keeps its first ``pictures`` samples as examples."""
    return [
        evaluate(model, name, suite_samples(name, screens), functools.partial(tick, name), pictures)
        for name in names
    ]


def _child(
    spec: str | None,
    names: list[str],
    screens: int,
    ticks: Any,
    results: Any,
    pictures: int,
    screen_text: bool | None,
    text_targets: bool | None,
) -> None:
    try:
        from deskpilot.runtime import load_model

        model = load_model(spec, screen_text=screen_text, text_targets=text_targets)
        results.put(("rows", suite_results(model, names, screens, ticks.put, pictures)))
    except UsageError as error:
        results.put(("usage", str(error)))
    except Exception as error:  # anything else the parent must hear about, not a silent death
        results.put(("error", f"{type(error).__name__}: {error}"))


def suite_results_apart(
    spec: str | None,
    names: Sequence[str],
    screens: int,
    tick: Callable[[str], None],
    pictures: int = 0,
    screen_text: bool | None = None,
    text_targets: bool | None = None,
) -> list[SuiteResult]:
    """The same as :func:`suite_results` for the model ``spec`` names, loaded (with
    ``screen_text`` and ``text_targets`` as `load_model` takes them) and run in a child process, so that each model's
    peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    ticks, results = context.Queue(), context.Queue()
    child = context.Process(
        target=_child,
        daemon=True,
        args=(spec, list(names), screens, ticks, results, pictures, screen_text, text_targets),
    )
    child.start()
    outcome: tuple[str, Any] | None = None
    received = 0
    try:
        while outcome is None:
            try:
                tick(ticks.get(timeout=0.1))
                received += 1
                continue
            except queue.Empty:
                pass
            with contextlib.suppress(queue.Empty):
                outcome = results.get_nowait()
            if outcome is None and not child.is_alive() and results.empty() and ticks.empty():
                raise ModelError(
                    f"evaluating {spec or 'the embedded model'} ended without "
                    f"results (the child process exited with {child.exitcode})"
                )
        if outcome[0] == "rows":  # the last ticks may arrive after the results: wait for them
            with contextlib.suppress(queue.Empty):
                for _ in range(sum(result.total for result in outcome[1]) - received):
                    tick(ticks.get(timeout=5))
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
    kind, payload = outcome
    if kind == "usage":
        raise UsageError(payload)
    if kind == "error":
        raise ModelError(f"evaluating {spec or 'the embedded model'} failed: {payload}")
    rows: list[SuiteResult] = payload
    return rows
