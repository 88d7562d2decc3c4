"""Spoken tasks for tests: a WAV that espeak-ng (installed by `make deps`) says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is installed by make deps"
)


def spoken_wav(path: Path, words: str = "click the save button") -> Path:
    """``words`` said by espeak-ng into the WAV file ``path`` (22,050 Hz mono PCM)."""
    subprocess.run(["espeak-ng", "-w", str(path), words], check=True, capture_output=True)
    return path
