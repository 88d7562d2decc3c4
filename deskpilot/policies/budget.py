"""Run budgets: steps, wall time, a rate limit on actions, and failed actions in a row.

One tracker belongs to one session (the actuator's), whatever drives it: an agent run, a recipe's
literal steps and its agent sub-tasks, or an MCP client's calls all count against the same budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deskpilot.policies.policy import Budget
from deskpilot.stopflag import StopFlag


class BudgetTracker:
    """Tracks one session against its budget; asked before each step and each action."""

    def __init__(
        self,
        budget: Budget,
        max_steps: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.max_steps = budget.max_steps if max_steps is None else min(max_steps, budget.max_steps)
        self._clock = clock
        self._started = clock()
        self._last_action: float | None = None
        self.steps = 0
        self.consecutive_errors = 0

    def exhausted(self, *, steps: bool = True) -> str | None:
        """Why the session must stop now, or None (``steps=False``: the step count aside, for an
        action inside a step that was already counted)."""
        if steps and self.steps >= self.max_steps:
            return f"the step budget of {self.max_steps} is used up"
        if self.remaining_seconds() <= 0:
            return f"the time budget of {self.budget.max_seconds:g} s is used up"
        if self.consecutive_errors >= self.budget.max_consecutive_errors:
            return f"{self.consecutive_errors} actions failed in a row"
        return None

    def take_step(self) -> None:
        """Count one step (a model step, a recipe step or a client's call)."""
        self.steps += 1

    def remaining_seconds(self) -> float:
        """Wall time left of ``max_seconds``."""
        return self.budget.max_seconds - (self._clock() - self._started)

    def deadline(self) -> float:
        """The end of the time budget, on the `time.monotonic` clock (for a running command)."""
        return time.monotonic() + self.remaining_seconds()

    def throttle(self, stop: StopFlag) -> None:
        """Wait so that actions stay under ``max_actions_per_second`` (a stop ends the wait)."""
        if self._last_action is not None:
            gap = 1.0 / self.budget.max_actions_per_second - (self._clock() - self._last_action)
            if gap > 0:
                stop.wait(gap)
        self._last_action = self._clock()

    def record(self, ok: bool) -> None:
        """Count a finished action."""
        self.consecutive_errors = 0 if ok else self.consecutive_errors + 1
