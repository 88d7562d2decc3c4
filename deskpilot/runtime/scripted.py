"""Models that need no weights: a scripted plan replayed line by line, and a Python function.

The scripted model answers in **screen pixels** of the captured monitor. Its lines are returned
verbatim, so a malformed line exercises the same validation path as a malformed model output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ModelError, UsageError
from deskpilot.runtime.base import ModelReply, ModelRequest
from deskpilot.screen import Frame


class ScriptedModel:
    """Replays one tool call per line; blank lines and lines starting with ``#`` are skipped."""

    audio_refusal = "a scripted plan hears no task"

    def __init__(self, lines: Iterable[str], name: str = "script") -> None:
        self._lines = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        self.name = name
        self.position = 0

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Load a plan file (JSON Lines). Raise `UsageError` if it cannot be read or is empty."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read plan {file}: {exc}") from None
        model = cls(text.splitlines(), name=f"script:{file}")
        if not model._lines:
            raise UsageError(f"plan {file} has no tool calls")
        return model

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """Screen pixels of the full-resolution capture."""
        return CoordinateSpace.screen(frame.width, frame.height)

    def next_action(self, request: ModelRequest) -> ModelReply:
        """The next line of the plan."""
        if self.position >= len(self._lines):
            raise ModelError(
                f"the plan ended after {len(self._lines)} call{'' if len(self._lines) == 1 else 's'} "
                "without `done`"
            )
        line = self._lines[self.position]
        self.position += 1
        return ModelReply(text=line, stats={"plan_line": float(self.position)})

    def close(self) -> None:
        """Nothing to release."""


class FunctionModel:
    """Answers with a Python function of the request: a fake for tests and custom logic."""

    def __init__(
        self,
        respond: Callable[[ModelRequest], str],
        space: CoordinateSpace | None = None,
        name: str = "function",
    ) -> None:
        self._respond = respond
        self._space = space
        self.name = name

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """The given space, or screen pixels."""
        return self._space or CoordinateSpace.screen(frame.width, frame.height)

    def next_action(self, request: ModelRequest) -> ModelReply:
        """Call the function."""
        return ModelReply(text=self._respond(request))

    def close(self) -> None:
        """Nothing to release."""
