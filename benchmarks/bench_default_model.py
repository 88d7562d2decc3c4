"""The embedded default model's step cost, beside the text-match baseline, in one run.

One step = the screen's text (OCR, one thread) + the prompt + the model's answer, on a 1280x800
dialog-like screen (the one `bench_screen_text.py` draws), for three tasks ("click Save",
'type "Ada" into Name', "click Delete", which is not there):

- cold: the whole screen read (the first step of a run, or a new window);
- warm: a small change since the last step (a status line), what a step after a click costs.

Each model runs in a process of its own, so that its peak RSS is its own. Printed: step p50 / p95,
the OCR's share (p50), and peak RSS; the issue's targets are p50 <= 350 ms and p95 <= 700 ms with
the OCR, peak RSS <= 600 MB.

Run: ``python benchmarks/bench_default_model.py`` (needs the ocr extra; no display).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from bench_screen_text import dialog_screen

MODELS = ("default", "text-match")
TASKS = ("click Save", 'type "Ada" into Name', "click Delete")
REPEATS = 7
console = Console(width=120)


def _shifted(image: Image.Image) -> Image.Image:
    """The same screen moved by a pixel: every pixel changed, so the reader reads it whole."""
    moved = Image.new("RGB", image.size, image.getpixel((0, 0)))
    moved.paste(image, (1, 1))
    return moved


def measure(spec: str) -> dict[str, float]:
    """Cold and warm step times (ms) and the OCR's share for one model, in this process."""
    from deskpilot.agent.prompt import tools_prompt
    from deskpilot.runtime.base import ModelRequest
    from deskpilot.runtime.loader import load_model
    from deskpilot.screen import Frame
    from deskpilot.tools.registry import ToolRegistry

    model = load_model(None if spec == "default" else spec)
    registry = ToolRegistry()
    schema, prompt = registry.call_schema(), tools_prompt(registry)
    base = dialog_screen()
    timings: dict[str, list[float]] = {"cold": [], "warm": [], "cold_ocr": [], "warm_ocr": []}

    def step(image: Image.Image, task: str) -> tuple[float, float]:
        request = ModelRequest(
            task=task,
            frame=Frame.from_image(image),
            history=(),
            tool_schema=schema,
            tool_prompt=prompt,
        )
        started = time.perf_counter()
        reply = model.next_action(request)
        registry.parse(reply.text)  # a valid call, as the loop would check
        return (time.perf_counter() - started) * 1000, float(reply.stats.get("ocr_ms", 0.0))

    step(base, TASKS[0])  # warm-up: sessions, caches
    for repeat in range(REPEATS):  # cold: every step's screen differs in every pixel
        for index, task in enumerate(TASKS):
            screen = _shifted(base) if (repeat * len(TASKS) + index) % 2 == 0 else base
            total, ocr = step(screen, task)
            timings["cold"].append(total)
            timings["cold_ocr"].append(ocr)
    step(base, TASKS[0])
    for repeat in range(REPEATS):  # warm: only the status line changed since the last step
        for index, task in enumerate(TASKS):
            total, ocr = step(dialog_screen(f"Saved {repeat}-{index}"), task)
            timings["warm"].append(total)
            timings["warm_ocr"].append(ocr)
    figures = {}
    for kind in ("cold", "warm"):
        values = sorted(timings[kind])
        figures[f"{kind} p50"] = statistics.median(values)
        figures[f"{kind} p95"] = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        figures[f"{kind} ocr p50"] = statistics.median(timings[f"{kind}_ocr"])
    figures["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        print(json.dumps(measure(sys.argv[2])))
        return
    rows = {}
    for spec in MODELS:
        with console.status(f"{spec}: {REPEATS * len(TASKS) * 2} steps"):
            done = subprocess.run(
                [sys.executable, __file__, "--only", spec],
                capture_output=True,
                text=True,
                check=True,
            )
        rows[spec] = json.loads(done.stdout.strip().splitlines()[-1])
    table = Table(title="one step on a 1280x800 dialog screen (ms; this CPU, one OCR thread)")
    table.add_column("model")
    for column in next(iter(rows.values())):
        table.add_column(column, justify="right")
    for spec, figures in rows.items():
        name = "default (int4)" if spec == "default" else spec
        table.add_row(name, *(f"{value:.0f}" for value in figures.values()))
    console.print(table)
    console.print("targets (default model): step p50 <= 350 ms, p95 <= 700 ms, peak RSS <= 600 MB")


if __name__ == "__main__":
    main()
