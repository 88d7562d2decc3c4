"""`deskpilot model info|bench`: what a genai model folder is, and how fast one step runs."""

from __future__ import annotations

import contextlib
import json
import statistics
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image
from rich.table import Table

from deskpilot.cli.common import err, fail_usage, out, usage_errors
from deskpilot.errors import ModelError

model_app = typer.Typer(help="Inspect and measure model folders.", no_args_is_help=True)


@model_app.command("info")
def model_info(
    path: Annotated[
        str | None,
        typer.Argument(
            help="An onnxruntime-genai model folder, or an OpenAI-compatible server's URL "
            "(http://HOST:PORT/v1) (default: the embedded model)."
        ),
    ] = None,
    model_name: Annotated[
        str | None, typer.Option(help="For a server: the served model (default: the first).")
    ] = None,
    coords: Annotated[
        str | None, typer.Option(help="For a server: normalized, image or screen.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a model folder's type, size, quantization, coordinate space, image-token budget and
    whether its weights are random; for a server, what it serves and how its answers are read."""
    from deskpilot.runtime.folder import ModelFolder
    from deskpilot.runtime.loader import default_model_folder, has_default_model
    from deskpilot.runtime.openai_http import OpenAIModel, is_http_spec

    if path is None and not has_default_model():
        fail_usage(
            "this installation has no embedded default model, so there is nothing to "
            "describe without a folder: give one, `deskpilot model info PATH` (an onnxruntime-genai "
            "model folder, e.g. tests/models/gemma3-tiny in a source checkout)"
        )
    with usage_errors():
        if is_http_spec(path):
            assert path is not None
            try:
                info = OpenAIModel(path, model_name=model_name, coords=coords).info()
            except ModelError as exc:  # the server went away or answers no model list
                fail_usage(str(exc))
        elif model_name is not None or coords is not None:
            fail_usage("--model-name and --coords describe a server: give its URL")
        else:
            info = ModelFolder.open(path or default_model_folder()).info()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    table = Table("property", "value", show_header=False)
    for key, value in info.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    out.print(table)


@model_app.command("bench")
def model_bench(
    path: Annotated[Path, typer.Argument(help="An onnxruntime-genai model folder.")],
    image: Annotated[
        Path | None, typer.Option(help="Screenshot PNG (default: a synthetic 1280x800 form).")
    ] = None,
    steps: Annotated[int, typer.Option(help="Measured steps (after one warm-up).")] = 5,
    guidance: Annotated[bool, typer.Option(help="Constrained decoding on.")] = True,
) -> None:
    """Measure one agent step (preprocess, prefill, decode) on a screenshot."""
    import time

    from deskpilot.agent.prompt import tools_prompt
    from deskpilot.runtime.base import ModelRequest
    from deskpilot.runtime.genai import GenaiModel
    from deskpilot.screen import Frame
    from deskpilot.tools import ToolRegistry

    with usage_errors():
        started = time.perf_counter()
        model = GenaiModel(path, guidance=guidance)
        load_ms = (time.perf_counter() - started) * 1000
        picture = Image.open(image) if image else synthetic_screen()
    registry = ToolRegistry()
    request = ModelRequest(
        task="click the Save button",
        frame=Frame.from_image(picture),
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry),
    )
    runs = []
    for _ in range(steps + 1):
        began = time.perf_counter()
        reply = model.next_action(request)
        runs.append({**reply.stats, "step_ms": (time.perf_counter() - began) * 1000})
    measured = runs[1:]
    table = Table("measure", "median", title=f"deskpilot model bench {path}")
    table.add_row("load ms", f"{load_ms:.1f}")
    for key in ("step_ms", "preprocess_ms", "prefill_ms", "decode_tokens", "tokens_per_s"):
        table.add_row(key, f"{statistics.median(r[key] for r in measured):.1f}")
    table.add_row("peak RSS MB", f"{max(r['peak_rss_mb'] for r in measured):.1f}")
    table.add_row("guided", "yes" if model.guidance else "no")
    table.add_row("last output", reply.text[:120])
    out.print(table)


def synthetic_screen(width: int = 1280, height: int = 800) -> Image.Image:
    """A plain form-like screen for benchmarks, drawn with Pillow."""
    from PIL import ImageDraw

    picture = Image.new("RGB", (width, height), (236, 239, 244))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((160, 120, 760, 460), fill=(250, 250, 250), outline=(90, 90, 90))
    draw.rectangle((160, 120, 760, 150), fill=(40, 90, 160))
    draw.text((172, 128), "deskpilot demo", fill="white")
    draw.text((200, 210), "Name", fill="black")
    draw.rectangle((260, 200, 700, 228), fill="white", outline=(60, 60, 60))
    draw.rectangle((600, 300, 700, 336), fill=(225, 225, 225), outline=(60, 60, 60))
    draw.text((630, 310), "Save", fill="black")
    return picture


@model_app.command("eval")
def model_eval(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Model folders, compared side by side (default: the embedded one)."),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            help="synthetic, unseen, tk, edge (the default: all four); dialogs (real Tk dialogs, "
            "unseen labels); or a curriculum rung: one-widget, few-widgets, 96-words."
        ),
    ] = None,
    screens: Annotated[int, typer.Option(help="Screens per suite (4 tasks each).")] = 25,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the rows here.")
    ] = None,
    require: Annotated[
        list[str] | None,
        typer.Option(
            help="A bar every row must clear, [SUITE:]COLUMN>=N or <=N (e.g. 'click inside>=30', "
            "'tk:click inside>=80', 'p50 ms<=250'); exit 1 when one is missed. Repeatable."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write an HTML report: the table, and screens with the clicks."),
    ] = None,
    pictures: Annotated[
        int, typer.Option(help="Screens per model and suite in the report.", min=1)
    ] = 8,
    screen_text: Annotated[
        bool | None,
        typer.Option(
            help="Give model folders the screen's text beside the image, or not (default: what "
            "each folder's deskpilot.json says); run twice to see what it changes."
        ),
    ] = None,
    text_targets: Annotated[
        bool | None,
        typer.Option(
            help="For folders that read the screen's text: decode clicks as the places the task "
            "names, or freely (default: what each folder's deskpilot.json says)."
        ),
    ] = None,
) -> None:
    """Run the held-out grounding suites and print one table (one row per model and suite).

    Several models are evaluated one after another, each in a process of its own, so that each
    row's peak RSS is that model's alone."""
    import os

    from rich.progress import Progress

    from deskpilot.data.evaluate import (
        CURRICULUM,
        NEEDS_DISPLAY,
        ON_REQUEST,
        SUITES,
        Requirement,
        unmet,
    )
    from deskpilot.data.evaluate_apart import suite_results, suite_results_apart
    from deskpilot.runtime import load_model
    from deskpilot.xvfb import VirtualDisplay

    chosen = suite or list(SUITES)
    known = (*SUITES, *ON_REQUEST, *CURRICULUM)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise typer.BadParameter(f"unknown suite(s) {unknown}; choose from {', '.join(known)}")
    try:
        bars = [Requirement.parse(text) for text in require or []]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--require") from None
    idle = sorted({bar.suite for bar in bars if bar.suite and bar.suite not in chosen})
    if idle:
        raise typer.BadParameter(f"--require names suite(s) {idle} that this run does not evaluate")
    specs: list[str | None] = [str(p) for p in paths] if paths else [None]
    with usage_errors():
        models = [
            load_model(spec, screen_text=screen_text, text_targets=text_targets) for spec in specs
        ]  # all checked first
    if len(models) > 1:
        models.clear()  # each runs in a child of its own
    title = ", ".join(spec or "(embedded)" for spec in specs)
    table = Table(title=f"deskpilot model eval {title}")
    per_model = []
    examples = []
    kept = pictures if report else 0
    with contextlib.ExitStack() as stack, Progress(console=out) as progress:
        if set(NEEDS_DISPLAY) & set(chosen) and not os.environ.get("DISPLAY"):
            with usage_errors():
                os.environ["DISPLAY"] = stack.enter_context(VirtualDisplay(1008, 624)).display
            stack.callback(os.environ.pop, "DISPLAY", None)  # not left naming a display now gone
        for spec in specs:
            jobs = {
                name: progress.add_task(f"{name} {spec or '(embedded)'}", total=screens * 4)
                for name in chosen
            }

            def tick(name: str, jobs: dict[str, Any] = jobs) -> None:
                progress.advance(jobs[name])

            with usage_errors():
                results = (
                    suite_results(models[0], chosen, screens, tick, kept)
                    if models
                    else suite_results_apart(
                        spec, chosen, screens, tick, kept, screen_text, text_targets
                    )
                )
            per_model.append([{"model": _short(spec), **result.row()} for result in results])
            examples += [(_short(spec), result.name, result.examples) for result in results]
            for job in jobs.values():
                progress.update(job, completed=screens * 4)
    rows = [model_rows[index] for index in range(len(chosen)) for model_rows in per_model]
    for column in rows[0]:
        table.add_column(column, overflow="fold")  # wrap, never "va…"
    for row in rows:
        table.add_row(*row.values())
    out.print(table)
    if as_json:
        as_json.write_text(json.dumps(rows, indent=2) + "\n")
    if report:
        from deskpilot.data.eval_report import write_report

        written = write_report(report, f"deskpilot model eval {title}", rows, examples)
        err.print(f"report: {written}", highlight=False)
    missed = unmet(rows, bars)
    for why in missed:
        err.print(f"[red]below the bar[/] {why}", highlight=False)
    if missed:
        raise typer.Exit(1)
    if bars:
        err.print(f"[green]every row clears the {len(bars)} bar(s)[/]")


def _short(spec: str | None) -> str:
    """A model's name in the table: the folder name, with its quantization."""
    if spec is None:
        return "embedded"
    from deskpilot.runtime.folder import ModelFolder

    name = Path(spec).name
    with contextlib.suppress(Exception):
        quantization = ModelFolder.open(spec).quantization()
        # a folder named after its precision ("int4") reads "int4 (MatMulNBits)", not twice
        return quantization if quantization.split()[0] == name else f"{name} ({quantization})"
    return name
