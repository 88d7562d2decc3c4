"""A suite's results folder: ``results.jsonl`` (one line per finished task, written as each one
finishes, so an interrupted suite resumes where it stopped), ``suite.json`` (what ran), one folder
per task (``tasks/<id>/``: the run's trajectory and report, the task's files, its log) and
``summary.html``.
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from deskpilot.agent.trajectory import read_trajectory
from deskpilot.errors import UsageError

RESULTS_FILE = "results.jsonl"
META_FILE = "suite.json"
SUMMARY_FILE = "summary.html"
TASKS_DIR = "tasks"


@dataclass(frozen=True, kw_only=True)
class TaskResult:
    """One finished task. ``passed`` is the checker's verdict; ``outcome`` is how the run itself
    ended (``done`` when the model or the recipe said so, which proves nothing by itself)."""

    task: str
    passed: bool
    check: str
    outcome: str
    reason: str
    mode: str  # "agent", "recipe" or "reference"
    steps: int = 0
    invalid: int = 0
    denials: int = 0
    seconds: float = 0.0
    step_ms: float = 0.0
    worker: dict[str, Any] = field(default_factory=dict)
    run_dir: str = ""  # relative to the results folder
    error: str = ""  # the set-up failed, the worker crashed, ...

    @classmethod
    def errored(cls, task: str, reason: str) -> TaskResult:
        """A task that ended without a check: its worker died, none was left, or it raised."""
        return cls(task=task, passed=False, check="not checked", outcome="error", reason=reason,
                   mode="", error=reason)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskResult:
        """Read one line of ``results.jsonl`` back."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True, kw_only=True)
class RunStats:
    """What a run's trajectory says: steps, invalid model outputs, denials."""

    steps: int
    invalid: int
    denials: int


def run_stats(run_dir: Path) -> RunStats:
    """Count a run's steps, invalid outputs (no valid call) and denials from its trajectory."""
    if not (run_dir / "steps.jsonl").is_file():
        return RunStats(steps=0, invalid=0, denials=0)
    steps = [r for r in read_trajectory(run_dir) if r.get("type") == "step"]
    invalid = sum(1 for s in steps if s.get("call") is None)
    denials = sum(1 for s in steps if (s.get("decision") or {}).get("verdict") == "deny")
    return RunStats(steps=len(steps), invalid=invalid, denials=denials)


class ResultsFolder:
    """The results folder of one suite run; a second run on the same folder resumes it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.file = root / RESULTS_FILE

    def task_dir(self, task_id: str) -> Path:
        """``tasks/<id>``."""
        return self.root / TASKS_DIR / task_id

    def begin(self, meta: dict[str, Any]) -> None:
        """Create the folder, or check that it holds a run of the same suite and model.

        Raises:
            UsageError: The folder holds results of another suite or model.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / META_FILE
        if path.is_file():
            before = json.loads(path.read_text(encoding="utf-8"))
            for key in ("suite", "model"):
                if before.get(key) != meta.get(key):
                    raise UsageError(
                        f"{self.root} holds results of {key} {before.get(key)!r}, not "
                        f"{meta.get(key)!r}: give another --out, or remove it to start over"
                    )
            return
        path.write_text(json.dumps({**meta, "started": time.time()}, indent=2), encoding="utf-8")

    def finished(self) -> dict[str, TaskResult]:
        """The tasks already finished (the last line of each wins; a torn last line is skipped)."""
        done: dict[str, TaskResult] = {}
        if not self.file.is_file():
            return done
        for line in self.file.read_text(encoding="utf-8").splitlines():
            try:
                result = TaskResult.from_json(json.loads(line))
            except (ValueError, TypeError):
                continue
            done[result.task] = result
        return done

    def append(self, result: TaskResult) -> None:
        """Add one finished task, on disk before this returns."""
        with self.file.open("a", encoding="utf-8") as out:
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())


@dataclass(frozen=True, kw_only=True)
class Totals:
    """A suite's numbers: the end-to-end benchmark of a model."""

    tasks: int
    passed: int
    steps: int
    invalid: int
    denials: int
    seconds: float
    step_ms: float  # mean time per step over all steps

    @property
    def success_rate(self) -> float:
        """Passed tasks / tasks."""
        return self.passed / self.tasks if self.tasks else 0.0


def totals(results: list[TaskResult]) -> Totals:
    """Sum up a list of results."""
    steps = sum(r.steps for r in results)
    step_time = sum(r.step_ms * r.steps for r in results)
    return Totals(
        tasks=len(results),
        passed=sum(r.passed for r in results),
        steps=steps,
        invalid=sum(r.invalid for r in results),
        denials=sum(r.denials for r in results),
        seconds=sum(r.seconds for r in results),
        step_ms=step_time / steps if steps else 0.0,
    )


_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    ".pass{color:#1b7a3a;font-weight:bold}.fail{color:#b00020;font-weight:bold}"
)


def write_summary(root: Path, results: list[TaskResult], meta: dict[str, Any]) -> Path:
    """Write ``summary.html``: the totals and one row per task, linking its report."""
    esc = html.escape
    t = totals(results)
    rows = []
    for r in sorted(results, key=lambda r: r.task):
        report = Path(r.run_dir) / "report.html"
        link = (
            f"<a href='{esc(report.as_posix())}'>{esc(r.task)}</a>"
            if (root / report).is_file()
            else esc(r.task)
        )
        verdict = "<span class='pass'>pass</span>" if r.passed else "<span class='fail'>fail</span>"
        rows.append(
            f"<tr><td>{link}</td><td>{verdict}</td><td>{esc(r.outcome)}</td><td>{esc(r.mode)}</td>"
            f"<td>{r.steps}</td><td>{r.seconds:.1f}</td><td>{r.step_ms:.0f}</td><td>{r.invalid}</td>"
            f"<td>{r.denials}</td><td>{esc(r.check)}</td><td>{esc(r.error or r.reason)}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("task", "check", "outcome", "mode", "steps", "s",
                                              "ms/step", "invalid", "denied", "checker", "run"))  # fmt: skip
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>suite {esc(str(meta.get('name')))}"
        f"</title><style>{_CSS}</style></head><body><h1>Suite {esc(str(meta.get('name')))}</h1>"
        f"<p>model {esc(str(meta.get('model')))} · {t.passed} of {t.tasks} passed "
        f"({t.success_rate:.0%}) · {t.steps} steps · {t.step_ms:.0f} ms per step · "
        f"{t.invalid} invalid · {t.denials} denied</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table></body></html>"
    )
    path = root / SUMMARY_FILE
    path.write_text(page, encoding="utf-8")
    return path
