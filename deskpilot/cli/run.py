"""`deskpilot run`: one agent task on the real screen, recorded to a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskpilot.agent.records import RunResult
from deskpilot.agent.trajectory import default_run_dir
from deskpilot.cli.common import err, fail_usage, plural, summary, usage_errors
from deskpilot.cli.session import SessionOptions, open_session
from deskpilot.drivers import DRIVER_NAMES
from deskpilot.listen import Microphone
from deskpilot.runtime.base import TaskAudio


def run_task(
    task: str,
    *,
    model: str | None,
    options: SessionOptions | None = None,
    max_steps: int | None = None,
    report: bool = True,
    screen_text: bool | None = None,
    model_name: str | None = None,
    coords: str | None = None,
    action_format: str | None = None,
    audio: TaskAudio | Microphone | None = None,
) -> RunResult:
    """Set up everything a run needs (usage errors exit with code 2), run it, write the report.
    With ``audio``, the task is spoken (``task`` then empty, or written words that go with it):
    a WAV file, or a `Microphone` recorded once the model is known to hear it (into the run
    directory's ``task.wav``); a model that takes no audio is a usage error before the screen is
    touched."""
    from deskpilot.agent.report import write_report
    from deskpilot.policies import effective_max_steps
    from deskpilot.runtime import load_model
    from deskpilot.runtime.base import require_audio, takes_audio

    options = options or SessionOptions(run_dir=default_run_dir(task or _audio_slug(audio)))
    if max_steps is not None and max_steps < 1:
        fail_usage("--max-steps must be at least 1")
    with usage_errors():
        chosen_model = load_model(
            model,
            screen_text=screen_text,
            model_name=model_name,
            coords=coords,
            action_format=action_format,
        )
    if audio is not None and not takes_audio(chosen_model):
        chosen_model.close()
        with usage_errors():
            require_audio(chosen_model, audio.source)
    if isinstance(audio, Microphone):
        err.print(f"listening for {audio.seconds:g} s on {audio.source}: say the task now")
        try:
            with usage_errors():
                audio = audio.record(options.run_dir / "task.wav")
        except BaseException:
            chosen_model.close()
            raise
    session = open_session(options)
    steps = effective_max_steps(session.policy, max_steps)
    agent = session.agent(
        chosen_model,
        steps,
        {
            "policy": options.policy or "default",
            "driver": "none" if options.dry_run else options.driver,
            "monitor": options.monitor,
            **({"audio": audio.source, "audio_seconds": audio.seconds} if audio else {}),
        },
    )
    shown = repr(session.redactor.redact(task))
    if audio is not None:
        spoken = f"the task spoken in {audio.source} ({audio.seconds:.1f} s)"
        shown = f"{spoken} + {shown}" if task else spoken
    err.print(
        f"[bold]deskpilot[/] {shown} with {chosen_model.name}, up to {plural(steps, 'step')}",
        highlight=False,
    )
    try:
        result = agent.run(task, audio)
    finally:
        session.close()
        chosen_model.close()
    result = session.redact_result(result)
    if report:
        write_report(options.run_dir)
    summary(result, options.run_dir)
    return result


def _audio_slug(audio: TaskAudio | Microphone | None) -> str:
    """A run directory's name for a spoken task: the WAV's name, or "listen"."""
    if isinstance(audio, Microphone):
        return "listen"
    return Path(audio.source).stem if audio is not None else ""


def run(
    task: Annotated[
        str | None,
        typer.Argument(
            help="What to do, in words. Optional with --audio: then these words go to the model "
            "after the spoken task, as more of it (e.g. a name the recording leaves out)."
        ),
    ] = None,
    audio: Annotated[
        Path | None,
        typer.Option(
            help="The task as speech: a WAV file (PCM, up to 30 s), sent to the model with every "
            "screenshot. Needs a model folder with a speech model (Gemma 4 E2B/E4B with its "
            "speech.onnx); any other model is refused before the screen is touched.",
            metavar="TASK.wav",
        ),
    ] = None,
    listen: Annotated[
        bool,
        typer.Option(
            "--listen",
            help="The task as speech from the microphone: recorded with arecord (alsa-utils) for "
            "--listen-seconds once the model is known to hear it, kept as RUN_DIR/task.wav, then "
            "as --audio.",
        ),
    ] = False,
    listen_seconds: Annotated[
        float, typer.Option(help="How long --listen records (1-30 s).", min=1, max=30)
    ] = 5.0,
    mic: Annotated[
        str,
        typer.Option(help="The ALSA device --listen records from (arecord -L lists them)."),
    ] = "default",
    model: Annotated[
        str | None,
        typer.Option(
            help="Model: script:PLAN.jsonl, a model folder, or http(s)://HOST:PORT/v1 (an "
            "OpenAI-compatible server); default: embedded model."
        ),
    ] = None,
    model_name: Annotated[
        str | None,
        typer.Option(help="With --model URL: the served model (default: the first it lists)."),
    ] = None,
    coords: Annotated[
        str | None,
        typer.Option(
            help="With --model URL: the model's coordinates, normalized (0-1000), image (pixels "
            "of the image sent) or screen (default: from the model's name)."
        ),
    ] = None,
    action_format: Annotated[
        str | None,
        typer.Option(
            help="Ask a model folder or server in its own action format and read its answers "
            "with that format's adapter: fara, ui_tars, or deskpilot (JSON tool calls; the "
            "default unless the folder's deskpilot.json names one)."
        ),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(help="Policy TOML file or preset (default, strict, trusted).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(help="Step budget; may lower the policy's, never raise it.")
    ] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option(help="Where to write the trajectory (default: runs/<time>-<task>)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Execute nothing; record what would have happened.")
    ] = False,
    driver: Annotated[str, typer.Option(help=f"Input driver: {' or '.join(DRIVER_NAMES)}.")] = (
        "pyautogui"
    ),
    monitor: Annotated[int, typer.Option(help="Monitor to capture and drive (1 = primary).")] = 1,
    report: Annotated[bool, typer.Option(help="Write report.html at the end.")] = True,
    audit: Annotated[
        Path | None,
        typer.Option(help="Hash-chained audit log to append to (default: RUN_DIR/audit.jsonl)."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Approve every 'ask' (only if the policy allows it).")
    ] = False,
    screen_text: Annotated[
        bool | None,
        typer.Option(
            help="Give a model folder the screen's text (OCR lines) beside the image, or not "
            "(default: what the folder's deskpilot.json says)."
        ),
    ] = None,
) -> None:
    """Run an agent task on the screen.

    Give the task in words (TASK), as speech (--audio TASK.wav, or --listen for the
    microphone), or both.

    Exit codes: 0 done, 1 failed, 2 usage error, 3 denied by policy, 4 stopped or out of budget.
    """
    spoken: TaskAudio | Microphone | None = None
    if audio is not None and listen:
        fail_usage("give the spoken task as --audio TASK.wav or --listen, not both")
    if audio is not None:
        with usage_errors():
            spoken = TaskAudio.from_file(audio)
    elif listen:
        spoken = Microphone(seconds=listen_seconds, device=mic)
    elif not task:
        fail_usage("give the task in words (TASK) or as speech (--audio TASK.wav or --listen)")
    options = SessionOptions(
        policy=policy,
        run_dir=run_dir or default_run_dir(task or _audio_slug(spoken)),
        dry_run=dry_run,
        driver=driver,
        monitor=monitor,
        audit=audit,
        yes=yes,
    )
    result = run_task(
        task or "",
        model=model,
        options=options,
        max_steps=max_steps,
        report=report,
        screen_text=screen_text,
        model_name=model_name,
        coords=coords,
        action_format=action_format,
        audio=spoken,
    )
    if result.answer:
        typer.echo(result.answer)
    raise typer.Exit(result.outcome.exit_code)
