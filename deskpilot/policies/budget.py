"""Run budgets: steps, wall time, a rate limit on actions, and failed actions in a row."""

from __future__ import annotations

import time
from collections.abc import Callable

from deskpilot.drivers.base import StopFlag
from deskpilot.policies.policy import Budget


class BudgetTracker:
    """Tracks one run against its budget; the loop asks it before each step and each action."""

    def __init__(
        self, budget: Budget, max_steps: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.budget = budget
        self.max_steps = max_steps
        self._clock = clock
        self._started = clock()
        self._last_action: float | None = None
        self.consecutive_errors = 0

    def exhausted(self, steps_taken: int) -> str | None:
        """Why the run must stop now, or None."""
        if steps_taken >= self.max_steps:
            return f"the step budget of {self.max_steps} is used up"
        elapsed = self._clock() - self._started
        if elapsed >= self.budget.max_seconds:
            return f"the time budget of {self.budget.max_seconds:g} s is used up"
        if self.consecutive_errors >= self.budget.max_consecutive_errors:
            return f"{self.consecutive_errors} actions failed in a row"
        return None

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
