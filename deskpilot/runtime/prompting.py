"""The words a model reads each step: family-independent content; `families` wraps it in a template.

The task comes *before* the screenshot: with causal attention, image tokens that follow the task can
attend to it. Only the newest screenshot is sent; earlier steps are compact text.
"""

from __future__ import annotations

from deskpilot.coords import CoordinateSpace
from deskpilot.runtime.base import ModelRequest

MAX_HISTORY = 8


def system_text(request: ModelRequest, space: CoordinateSpace) -> str:
    """Instructions, the coordinate space and the tools."""
    return (
        "You operate a computer by looking at its screen. Answer with exactly one JSON tool call "
        '{"name": "<tool>", "arguments": {...}} and nothing else. '
        f"Coordinates are {space.describe()}, origin at the top-left of the screenshot. "
        "Call done when the task is complete, fail if it cannot be done.\n"
        f"Tools:\n{request.tool_prompt}"
    )


def history_text(request: ModelRequest, limit: int = MAX_HISTORY) -> str:
    """The last ``limit`` steps, one line each: the call and what came of it."""
    recent = request.history[-limit:]
    if not recent:
        return "History: none"
    lines = [f"{h.step}. {h.call} -> {h.observation[:200]}" for h in recent]
    return "History:\n" + "\n".join(lines)


def user_text(request: ModelRequest, image_tag: str) -> str:
    """Task, history, then the screenshot, then the question."""
    return f"Task: {request.task}\n{history_text(request)}\nScreen:\n{image_tag}\nNext action:"
