"""The `Model` protocol: everything the agent loop needs from a model backend, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from deskpilot.coords import CoordinateSpace
from deskpilot.screen import Frame


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One earlier step as the model sees it: what it asked for and what came of it."""

    step: int
    call: str
    observation: str


@dataclass(frozen=True, kw_only=True)
class ModelRequest:
    """What the loop sends the model for one step.

    Attributes:
        task: The user's instruction.
        frame: The newest screenshot.
        history: Earlier steps, oldest first (text only; screenshots are not repeated).
        tool_schema: JSON Schema of a valid tool call (for constrained decoding).
        tool_prompt: The tools described in words (names, docstrings, arguments).
    """

    task: str
    frame: Frame
    history: Sequence[HistoryEntry]
    tool_schema: dict[str, Any]
    tool_prompt: str = ""


@dataclass(frozen=True, kw_only=True)
class ModelReply:
    """The model's raw text and how producing it went (timings, token counts)."""

    text: str
    stats: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Model(Protocol):
    """A model backend. Errors of the backend itself raise `deskpilot.errors.ModelError`."""

    name: str

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """The space this model's coordinates are in, for a screenshot like ``frame``."""
        ...

    def next_action(self, request: ModelRequest) -> ModelReply:
        """Produce the next tool call as text."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...
