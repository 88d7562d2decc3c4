"""Spoken tasks for tests: a WAV that espeak-ng says, and a microphone that says it (ALSA's file
plugin feeding the speech to arecord as a capture device); both installed by `make deps`."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is installed by make deps"
)
needs_arecord = pytest.mark.skipif(
    shutil.which("arecord") is None or shutil.which("espeak-ng") is None,
    reason="arecord (alsa-utils) and espeak-ng are installed by make deps",
)
MIC = "spoken"  # the ALSA capture device `speaking_microphone` defines
ALSA_CONF = Path("/usr/share/alsa/alsa.conf")


def spoken_wav(path: Path, words: str = "click the save button") -> Path:
    """``words`` said by espeak-ng into the WAV file ``path`` (22,050 Hz mono PCM)."""
    subprocess.run(["espeak-ng", "-w", str(path), words], check=True, capture_output=True)
    return path


def speaking_microphone(
    folder: Path, words: str = "click the save button", rate: int = 16_000
) -> tuple[dict[str, str], np.ndarray]:
    """An environment in which the ALSA device `MIC` is a microphone that says ``words``: a
    capture device reading espeak-ng's speech (resampled to ``rate``, 16-bit mono, silence
    after it), and the samples it gives."""
    with wave.open(str(spoken_wav(folder / "said.wav", words))) as said:
        source = np.frombuffer(said.readframes(said.getnframes()), dtype="<i2")
        source_rate = said.getframerate()
    times = np.arange(round(len(source) * rate / source_rate)) / rate
    samples = np.interp(times, np.arange(len(source)) / source_rate, source).astype("<i2")
    return microphone(folder, samples), samples


def microphone(folder: Path, samples: np.ndarray) -> dict[str, str]:
    """An environment in which the ALSA device `MIC` is a microphone giving ``samples`` (16-bit
    mono at the rate it is recorded at), then silence."""
    raw = folder / "said.raw"
    raw.write_bytes(samples.astype("<i2").tobytes())
    config = folder / "asound.conf"
    config.write_text(
        f'pcm.{MIC} {{\n  type file\n  slave.pcm null\n  file "/dev/null"\n'
        f'  infile "{raw}"\n  format "raw"\n}}\n'
    )
    return dict(os.environ, ALSA_CONFIG_PATH=f"{ALSA_CONF}:{config}")
