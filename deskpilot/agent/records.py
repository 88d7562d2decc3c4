"""What a run records: one `StepRecord` per model step, and the `RunResult` at the end."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from deskpilot.coords import MonitorGeometry


class Outcome(StrEnum):
    """How a run ended. Each maps to a CLI exit code (see `exit_code`)."""

    DONE = "done"
    FAILED = "failed"
    DENIED = "denied"
    STOPPED = "stopped"
    BUDGET = "budget"

    @property
    def exit_code(self) -> int:
        """0 done, 1 failed, 3 denied by policy, 4 stopped or out of budget (2 is a usage error)."""
        return {"done": 0, "failed": 1, "denied": 3, "stopped": 4, "budget": 4}[self.value]


@dataclass(kw_only=True)
class StepRecord:
    """One step of the loop, as written to ``steps.jsonl``."""

    step: int
    screenshot: str | None
    monitor: MonitorGeometry
    coordinate_space: str
    raw_output: str
    call: dict[str, Any] | None = None
    error: str = ""
    decision: dict[str, str] | None = None
    result: dict[str, Any] | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    model_stats: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, tagged ``type: step``."""
        return {"type": "step", **asdict(self)}


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """The end of a run."""

    outcome: Outcome
    reason: str
    steps: int
    answer: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, tagged ``type: end``."""
        return {
            "type": "end",
            "outcome": self.outcome.value,
            "reason": self.reason,
            "steps": self.steps,
            "answer": self.answer,
        }
