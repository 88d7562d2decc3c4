"""`deskpilot record OUT.toml`: record what you do as a recipe."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from deskpilot.cli.common import err, usage_errors


def record(
    out: Annotated[Path, typer.Argument(help="The recipe file to write (.toml).")],
    monitor: Annotated[int, typer.Option(help="Monitor to capture (1 = primary).")] = 1,
    stop_hotkey: Annotated[str, typer.Option(help="Key combination that ends recording.")] = (
        "ctrl+alt+r"
    ),
) -> None:
    """Record clicks, drags, scrolls and keys (with a screenshot crop per target) into a recipe."""
    from deskpilot.perception import default_engine
    from deskpilot.perception.reader import text_at as read_text_at
    from deskpilot.recorder import Recorder
    from deskpilot.screen import MssScreen, require_display
    from deskpilot.windows import active_window

    with usage_errors():
        require_display()
        MssScreen(monitor).close()  # fail now, not in the listener thread, if the monitor is wrong
        text_at = None
        if importlib.util.find_spec("rapidocr") is not None:  # the text under each target
            engine = default_engine()
            text_at = functools.partial(read_text_at, engine)
        recorder = Recorder(
            lambda: MssScreen(monitor),
            out,
            stop_hotkey=stop_hotkey,
            title=lambda: active_window()[0],
            text_at=text_at,
        ).start()
    err.print(f"recording; press {stop_hotkey} (or Ctrl-C here) to stop", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        recorder.wait()
    path = recorder.stop()
    count = len(recorder.steps)
    err.print(f"wrote {count} step{'s' if count != 1 else ''} to {path}", highlight=False)
    if not recorder.steps:
        err.print("[yellow]nothing was recorded[/]: the file has no steps to run")
