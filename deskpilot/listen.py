"""A spoken task from the microphone (`deskpilot run --listen`): recorded with ALSA's ``arecord``
into a WAV file, then given to the model like ``--audio TASK.wav``.

``arecord`` (Debian/Ubuntu: ``alsa-utils``) records from any ALSA device; on a desktop with
PipeWire or PulseAudio, ALSA's ``default`` device is theirs, so it is the microphone the desktop
uses. deskpilot adds no audio library for this.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deskpilot.errors import UsageError
from deskpilot.runtime.base import MAX_AUDIO_SECONDS, TaskAudio

RATE = 16_000  # Hz, mono, 16-bit: what speech models take (genai resamples anything else)
RECORDER = "arecord"
WINDOW_S = 0.02  # loudness is measured in windows of this length
SPEECH_LEVEL = 0.01  # a window is sound when its RMS is at least this (of full scale)
MARGIN_S = 0.25  # kept around the sound: the quiet start and end of words


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
    trim_silence(dest)
    return TaskAudio.from_file(dest)


def trim_silence(path: Path) -> tuple[float, float]:
    """Cut the silence before and after the sound in the 16-bit WAV ``path`` (in place), keeping
    `MARGIN_S` around it: the recording goes with every step of the run, and the seconds the user
    said nothing would cost each step. Returns the seconds kept and the seconds recorded.

    Raises:
        UsageError: The recording is silent (a muted or wrong microphone): nothing to hear.
    """
    with wave.open(str(path)) as recorded:
        params = recorded.getparams()
        samples = np.frombuffer(recorded.readframes(params.nframes), dtype="<i2")
    channels, rate = params.nchannels, params.framerate
    window = max(1, round(WINDOW_S * rate)) * channels
    usable = len(samples) // window * window
    levels = np.sqrt(
        np.mean((samples[:usable].astype(np.float64) / 32768.0).reshape(-1, window) ** 2, axis=1)
    )
    loud = np.flatnonzero(levels >= SPEECH_LEVEL)
    recorded_s = len(samples) / channels / rate
    if len(loud) == 0:
        raise UsageError(
            f"heard nothing: the {recorded_s:.1f} s recorded are silent (is the microphone "
            "muted, or another device meant? --mic names it)"
        )
    margin = round(MARGIN_S * rate) * channels
    start = max(0, int(loud[0]) * window - margin)
    end = min(len(samples), (int(loud[-1]) + 1) * window + margin)
    with wave.open(str(path), "wb") as kept:
        kept.setparams(params)
        kept.writeframes(samples[start:end].tobytes())
    return (end - start) / channels / rate, recorded_s


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
