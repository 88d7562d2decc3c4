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
        system: When given, the whole system prompt in place of deskpilot's own (a native action
            format's instructions, see `deskpilot.runtime.formats`).
        grammar: When given, ``(kind, text)`` that decoding follows instead of ``tool_schema``
            (``"lark_grammar"`` or ``"regex"``, as onnxruntime-genai's guidance takes them).
    """

    task: str
    frame: Frame
    history: Sequence[HistoryEntry]
    tool_schema: dict[str, Any]
    tool_prompt: str = ""
    system: str = ""
    grammar: tuple[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class ModelReply:
    """The model's raw text and how producing it went (timings, token counts).

    Attributes:
        text: The tool call, as JSON text.
        stats: Timings and counts.
        native: The model's own answer, where an adapter turned it into ``text``.
        error: Why the answer is not a call, where an adapter could not read it (the loop takes
            it as an invalid answer, like one that fails validation).
    """

    text: str
    stats: dict[str, float] = field(default_factory=dict)
    native: str = ""
    error: str = ""


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
