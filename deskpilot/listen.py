"""A spoken task from the microphone (`deskpilot run --listen`): recorded with ALSA's ``arecord``
into a WAV file, then given to the model like ``--audio TASK.wav``.

``arecord`` (Debian/Ubuntu: ``alsa-utils``) records from any ALSA device; on a desktop with
PipeWire or PulseAudio, ALSA's ``default`` device is theirs, so it is the microphone the desktop
uses. deskpilot adds no audio library for this.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from deskpilot.errors import UsageError
from deskpilot.runtime.base import MAX_AUDIO_SECONDS, TaskAudio

RATE = 16_000  # Hz, mono, 16-bit: what speech models take (genai resamples anything else)
RECORDER = "arecord"


def record_command(dest: Path, seconds: float, device: str = "default") -> list[str]:
    """The ``arecord`` command line that records ``seconds`` from ``device`` into ``dest``."""
    return [
        RECORDER,
        "-q",
        "-D",
        device,
        "-d",
        str(max(1, round(seconds))),  # arecord counts whole seconds
        "-f",
        "S16_LE",
        "-r",
        str(RATE),
        "-c",
        "1",
        "-t",
        "wav",
        str(dest),
    ]


def record_task(dest: Path, seconds: float, device: str = "default") -> TaskAudio:
    """Record a spoken task of ``seconds`` from the microphone ``device`` into the WAV ``dest``.

    Raises:
        UsageError: ``seconds`` is out of range, ``arecord`` is not installed, or it cannot
            record from ``device`` (no microphone, a wrong device name): its own words are given.
    """
    if not 1 <= seconds <= MAX_AUDIO_SECONDS:
        raise UsageError(
            f"--listen-seconds must be between 1 and {MAX_AUDIO_SECONDS:.0f}, not {seconds:g}"
        )
    if shutil.which(RECORDER) is None:
        raise UsageError(
            "--listen records with arecord, which is not installed (Debian/Ubuntu: apt install "
            "alsa-utils); or record the task yourself and pass --audio TASK.wav"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    command = record_command(dest, seconds, device)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 10)
    except subprocess.TimeoutExpired:
        raise UsageError(f"arecord did not finish recording from {device!r}") from None
    if done.returncode != 0 or not dest.is_file():
        said = [line for line in done.stderr.splitlines() if line.strip()]
        why = said[-1] if said else f"exit status {done.returncode}"
        raise UsageError(
            f"cannot record from the microphone {device!r} ({why}); name another ALSA device "
            "with --mic (arecord -L lists them) or pass --audio TASK.wav"
        )
    return TaskAudio.from_file(dest)


@dataclass(frozen=True, kw_only=True)
class Microphone:
    """Where and how long `deskpilot run --listen` records the spoken task."""

    seconds: float = 5.0
    device: str = "default"  # an ALSA device name (arecord -L)

    @property
    def source(self) -> str:
        """What the task is heard from, for messages."""
        return f"the microphone ({self.device})"

    def record(self, dest: Path) -> TaskAudio:
        """Record the task into the WAV ``dest`` (see `record_task`)."""
        return record_task(dest, self.seconds, self.device)
