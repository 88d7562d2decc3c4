"""A model in its own words: any backend asked in a native action format (its prompt and a grammar
of its answers), the answer turned into deskpilot's calls by the format's adapter.

One native action can be several deskpilot calls (Fara's ``type`` at a coordinate is a click, then
the typing); the first is this step's, the rest are the next steps', each passing validation and
the policy on its own. A new task, or an earlier call that failed, drops what was queued.
"""

from __future__ import annotations

import dataclasses
import json

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ToolCallError
from deskpilot.runtime.base import Model, ModelReply, ModelRequest
from deskpilot.runtime.formats import ActionFormat, RawCall, tool_names
from deskpilot.screen import Frame

NATIVE_MAX_TOKENS = 512  # a thought before the action takes more tokens than a bare JSON call


class NativeModel:
    """``inner`` asked in ``action_format``; its answers come back as deskpilot calls."""

    def __init__(self, inner: Model, action_format: ActionFormat) -> None:
        """Wrap ``inner`` (it keeps its own coordinate space; the format answers in it; a genai
        backend's answer budget grows to `NATIVE_MAX_TOKENS`)."""
        budget = getattr(inner, "max_new_tokens", None)
        if isinstance(budget, int) and budget < NATIVE_MAX_TOKENS:
            inner.max_new_tokens = NATIVE_MAX_TOKENS  # type: ignore[attr-defined]
        self.inner = inner
        self.format = action_format
        self.name = f"{inner.name} ({action_format.name})"
        self._queued: list[RawCall] = []
        self._asked: tuple[str, int] = ("", -1)  # the task and history length of the last ask

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """The inner model's space."""
        return self.inner.coordinate_space(frame)

    def next_action(self, request: ModelRequest) -> ModelReply:
        """The next queued call of the last answer, or a new answer read by the adapter."""
        expected = (request.task, self._asked[1] + 1)
        went_on = (request.task, len(request.history)) == expected
        failed = bool(request.history) and request.history[-1].observation.startswith("Error")
        if self._queued and went_on and not failed:
            self._asked = expected
            call = self._queued.pop(0)
            return ModelReply(text=json.dumps(call), stats={"queued": 1.0})
        self._queued = []
        space = self.inner.coordinate_space(request.frame)
        native = dataclasses.replace(
            request,
            system=self.format.instructions(space),
            grammar=self.format.grammar(space, tool_names(request.tool_schema)),
        )
        reply = self.inner.next_action(native)
        self._asked = (request.task, len(request.history))
        try:
            calls = self.format.calls(reply.text, space)
        except ToolCallError as exc:
            return ModelReply(text="", stats=reply.stats, native=reply.text, error=str(exc))
        first, *self._queued = calls
        return ModelReply(text=json.dumps(first), stats=reply.stats, native=reply.text)

    def close(self) -> None:
        """Close the inner model."""
        self.inner.close()
