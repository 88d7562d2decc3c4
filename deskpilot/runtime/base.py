"""The `Model` protocol: everything the agent loop needs from a model backend, and nothing more."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import UsageError
from deskpilot.screen import Frame

MAX_AUDIO_SECONDS = 30.0  # a spoken task, not a recording: Gemma 4 takes up to 30 s a clip


@dataclass(frozen=True, kw_only=True)
class TaskAudio:
    """A task given as speech: a WAV file's bytes, checked once before the run starts.

    Attributes:
        wav: The whole file, as read.
        source: Where it came from (a path), for messages and the trajectory.
        seconds: Its length.
    """

    wav: bytes
    source: str
    seconds: float

    @classmethod
    def from_file(cls, path: str | Path) -> TaskAudio:
        """Read and check a WAV file (PCM, as `wave` reads it; any rate, mono or stereo).

        Raises:
            UsageError: The file is missing or unreadable, is not a WAV file, is empty, or is
                longer than `MAX_AUDIO_SECONDS`.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the task audio {path}: {exc.strerror or exc}") from None
        try:
            with wave.open(str(path)) as handle:
                frames, rate = handle.getnframes(), handle.getframerate()
        except (wave.Error, EOFError) as exc:
            raise UsageError(f"{path} is not a WAV file (PCM .wav expected): {exc}") from None
        if frames == 0 or rate <= 0:
            raise UsageError(f"the task audio {path} is empty")
        seconds = frames / rate
        if seconds > MAX_AUDIO_SECONDS:
            raise UsageError(
                f"the task audio {path} is {seconds:.1f} s long; a spoken task may be up to "
                f"{MAX_AUDIO_SECONDS:.0f} s"
            )
        return cls(wav=data, source=str(path), seconds=round(seconds, 3))


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
        audio: The task as speech, sent with every step's screenshot (then ``task`` is empty or
            adds written words to it); only to a model that `takes_audio`.
    """

    task: str
    frame: Frame
    history: Sequence[HistoryEntry]
    tool_schema: dict[str, Any]
    tool_prompt: str = ""
    system: str = ""
    grammar: tuple[str, str] | None = None
    audio: TaskAudio | None = None


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


def takes_audio(model: Model) -> bool:
    """Whether ``model`` takes a task as speech (`ModelRequest.audio`): its ``audio_input``
    attribute, looked up through an adapter's ``inner`` model (an action format's)."""
    seen: Any = model
    while seen is not None:
        if getattr(seen, "audio_input", False):
            return True
        seen = getattr(seen, "inner", None)
    return False


def require_audio(model: Model, source: str) -> None:
    """Check, before a run touches the screen, that ``model`` can hear a task spoken in
    ``source`` (a WAV file's path, or the microphone).

    Raises:
        UsageError: It takes no audio.
    """
    if not takes_audio(model):
        why = getattr(model, "audio_refusal", "") or (
            "only a model folder with a speech model (onnxruntime-genai's speech block, e.g. "
            "Gemma 4 E2B/E4B) does"
        )
        raise UsageError(
            f"this model takes no audio: {model.name} ({why}), so it cannot hear {source}"
        )
