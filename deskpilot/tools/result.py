"""`ToolResult`: what an executed (or refused) tool call gives back to the model and the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """The outcome of one tool call, as a value the model can read.

    Attributes:
        output: What happened, in words ("clicked left at (412, 230)").
        error: Why it did not happen; empty on success.
        targets: Driver-pixel points the action used (for reports), in order.
        final: True for `done` / `fail`: the run ends after this call.
        data: Extra structured facts (e.g. a shell command's exit code).
    """

    output: str = ""
    error: str = ""
    targets: tuple[tuple[int, int], ...] = ()
    final: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return not self.error

    def as_observation(self) -> str:
        """The text the model sees in its history."""
        return f"Error: {self.error}" if self.error else self.output
