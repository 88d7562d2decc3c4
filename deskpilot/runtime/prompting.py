"""The words a model reads each step: family-independent content; `families` wraps it in a template.

The task comes *before* the screenshot: with causal attention, image tokens that follow the task can
attend to it. Only the newest screenshot is sent; earlier steps are compact text.
"""

from __future__ import annotations

from collections.abc import Sequence

from deskpilot.coords import CoordinateSpace
from deskpilot.perception.text import ScreenText
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.families import Family

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


PROMPT_STYLES = ("full", "compact")


def compact_system_text(space: CoordinateSpace) -> str:
    """The short instructions of a model trained on deskpilot's own tool set (the embedded default):
    no tool list, since its tools are known to it and constrained decoding enforces the schema."""
    return f"Answer with one JSON tool call. Coordinates are {space.describe()}."


def render_prompt(
    family: Family,
    request: ModelRequest,
    space: CoordinateSpace,
    style: str = "full",
    screen_text: str = "",
    named: str = "",
) -> str:
    """The whole prompt of one step for ``family``, in a folder's prompt ``style``; with
    ``screen_text`` (the screen's text lines, see `screen_text_block`) beside the image, and
    ``named`` (the places the task names, see `named_block`)."""
    if request.system:
        system = request.system
    elif style == "compact":
        system = compact_system_text(space)
    else:
        system = system_text(request, space)
    tag = family.audio_tag if request.audio is not None else ""
    return family.render(system, user_text(request, family.image_tag, screen_text, named, tag))


def history_text(request: ModelRequest, limit: int = MAX_HISTORY) -> str:
    """The last ``limit`` steps, one line each: the call and what came of it."""
    recent = request.history[-limit:]
    if not recent:
        return "History: none"
    lines = [f"{h.step}. {h.call} -> {h.observation[:200]}" for h in recent]
    return "History:\n" + "\n".join(lines)


def user_text(
    request: ModelRequest,
    image_tag: str,
    screen_text: str = "",
    named: str = "",
    audio_tag: str = "",
) -> str:
    """Task, history, the screen's text and the places the task names (when given), then the
    screenshot, then the question. With ``audio_tag``, the task is spoken: the tag (where the
    processor puts the audio) comes first on the task line, then any written words of it."""
    text = f"Screen text:\n{screen_text}\n" if screen_text else ""
    text += f"Named places:\n{named}\n" if named else ""
    task = f"{audio_tag} {request.task}".strip() if audio_tag else request.task
    return f"Task: {task}\n{history_text(request)}\n{text}Screen:\n{image_tag}\nNext action:"


MAX_TEXT_LINES = 60


def named_block(places: Sequence[tuple[str, bool, tuple[int, int]]]) -> str:
    """The places a task names, for a prompt, one a line: ``[x,y] text`` (the text's centre) or
    ``[x,y] field beside text``, the point in the model's coordinate space (what text-target
    decoding chooses from); ``none`` when it names nothing on the screen."""
    rows = [f"[{x},{y}] {'field beside ' if field else ''}{text}" for text, field, (x, y) in places]
    return "\n".join(rows) or "none"


def screen_text_block(
    text: ScreenText, frame_width: int, frame_height: int, space: CoordinateSpace
) -> str:
    """The screen's lines for a prompt, one a line: ``[x0,y0,x1,y1] text``, the box in the model's
    coordinate space (so a click can copy it); the first `MAX_TEXT_LINES` in reading order."""
    rows = []
    for line in text.lines[:MAX_TEXT_LINES]:
        b = line.box
        x0, x1 = (round(v * space.width / frame_width) for v in (b.x, b.right))
        y0, y1 = (round(v * space.height / frame_height) for v in (b.y, b.bottom))
        rows.append(f"[{x0},{y0},{x1},{y1}] {line.text}")
    return "\n".join(rows) or "(none)"
