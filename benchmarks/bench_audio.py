"""What a spoken task costs a step: the same step with the task written and spoken (espeak-ng's
speech, then padded with silence to 10 and 30 s), side by side, on the tiny audio-capable test
folders (gemma4-tiny, phi4mm-tiny) and one 1280x800 screenshot. Each row is the median of
REPEATS steps after a warm-up: preprocess (genai's processor: log-mel features and image
pre-processing), prefill (the speech, vision and embedding graphs and the prompt's forward pass),
the whole step, and the prompt's audio and total tokens. The tiny models' encoders are one layer:
a real model's audio encoder costs more, in proportion to the clip's frames.

Run: ``python benchmarks/bench_audio.py`` (needs espeak-ng).
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from rich.console import Console
from rich.table import Table

from deskpilot.agent.prompt import tools_prompt
from deskpilot.cli.model_cmd import synthetic_screen
from deskpilot.runtime.base import ModelRequest, TaskAudio
from deskpilot.runtime.genai import GenaiModel
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry

MODELS = Path(__file__).parents[1] / "tests" / "models"
FOLDERS = ("gemma4-tiny", "phi4mm-tiny")
WORDS = "click the save button"
REPEATS = 7
console = Console()


def spoken(seconds: float | None) -> TaskAudio:
    """espeak-ng saying `WORDS`, padded with silence to ``seconds`` (None: as said)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "task.wav"
        subprocess.run(["espeak-ng", "-w", str(path), WORDS], check=True, capture_output=True)
        with wave.open(str(path)) as said:
            params, frames = said.getparams(), said.readframes(said.getnframes())
    if seconds is not None:
        total = int(seconds * params.framerate) * params.sampwidth * params.nchannels
        frames += bytes(max(0, total - len(frames)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setparams(params)
        out.writeframes(frames)
    length = len(frames) / (params.framerate * params.sampwidth * params.nchannels)
    return TaskAudio(wav=buffer.getvalue(), source=f"{length:.1f} s", seconds=round(length, 2))


def step_times(model: GenaiModel, request: ModelRequest) -> dict[str, float]:
    """Medians over `REPEATS` steps (after one warm-up) of the step's phases, in ms."""
    model.next_action(request)
    rows: list[dict[str, float]] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        stats = dict(model.next_action(request).stats)
        stats["step_ms"] = (time.perf_counter() - started) * 1000
        rows.append(stats)
    keys = ("preprocess_ms", "prefill_ms", "step_ms", "prompt_tokens", "audio_tokens")
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


def main() -> None:
    """Print the table: per folder, the written task, then the spoken ones."""
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is needed (apt install espeak-ng)")
    registry = ToolRegistry()
    written = ModelRequest(
        task=WORDS,
        frame=Frame.from_image(synthetic_screen()),
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry),
    )
    clips = [spoken(None), spoken(10.0), spoken(30.0)]
    table = Table(title=f"one step, 1280x800, median of {REPEATS} (this machine)")
    for column in ("model", "task", "preprocess ms", "prefill ms", "step ms", "audio / prompt tok"):
        table.add_column(column, justify="left" if column in ("model", "task") else "right")
    for name in FOLDERS:
        model = GenaiModel(MODELS / name)
        cases = [("written", written)] + [
            (f"spoken, {clip.source}", dataclasses.replace(written, task="", audio=clip))
            for clip in clips
        ]
        for label, request in cases:
            with console.status(f"{name}: {label}"):
                row = step_times(model, request)
            table.add_row(
                name,
                label,
                f"{row['preprocess_ms']:.0f}",
                f"{row['prefill_ms']:.0f}",
                f"{row['step_ms']:.0f}",
                f"{row['audio_tokens']:.0f} / {row['prompt_tokens']:.0f}",
            )
        model.close()
    console.print(table)


if __name__ == "__main__":
    main()
