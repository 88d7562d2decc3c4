"""`deskpilot doctor`: what this machine has and lacks for deskpilot, and what to install.

Each check says what it found and, when it is not fine, what to do. Required checks (the display,
the input drivers, a model given with ``--model``) decide the exit code; the others are warnings:
deskpilot runs without them, with less (no shell tool, no demo window, no screen text).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from deskpilot.cli.common import out

Status = Literal["ok", "warn", "fail"]
_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One check's verdict: what was found and, unless it is ``ok``, what to do about it."""

    name: str
    status: Status
    found: str
    fix: str = ""
    required: bool = False


def _missing(required: bool) -> Status:
    return "fail" if required else "warn"


def check_display() -> Check:
    """DISPLAY is set and an X server answers there."""
    from deskpilot.desktop import NO_DISPLAY_HELP, display_problem

    problem = display_problem()
    if problem:
        return Check(
            name="display", status="fail", found=problem, fix=NO_DISPLAY_HELP, required=True
        )
    import os

    return Check(
        name="display", status="ok", found=f"{os.environ['DISPLAY']} answers", required=True
    )


def check_window_manager(display_ok: bool) -> Check:
    """An EWMH window manager runs: it names itself and keeps ``_NET_ACTIVE_WINDOW``."""
    from deskpilot.desktop import window_manager

    fix = "start a window manager on the display (apt-get install jwm; jwm &)"
    manager = window_manager() if display_ok else None
    if manager is None:
        return Check(name="window manager", status="warn", found="not checked: no display", fix=fix)
    if manager.name is None and not manager.active_window:
        found = (
            "none: _NET_SUPPORTING_WM_CHECK and _NET_ACTIVE_WINDOW are unset (window_title "
            "waits, checks and window rules cannot see an active window)"
        )
        return Check(name="window manager", status="warn", found=found, fix=fix)
    active = "a window is active" if manager.active_window else "no window is active yet"
    return Check(name="window manager", status="ok", found=f"{manager.name or 'one'} ({active})")


def check_bubblewrap() -> Check:
    """bwrap is installed and can start the shell tool's sandbox (it runs ``true`` in one)."""
    from deskpilot.policies.sandbox import ShellSandbox
    from deskpilot.policies.shell import ShellSettings

    fix = "apt-get install bubblewrap (the shell tool runs only in its sandbox)"
    path = shutil.which("bwrap")
    if path is None:
        return Check(name="bubblewrap", status="warn", found="bwrap is not installed", fix=fix)
    with tempfile.TemporaryDirectory(prefix="deskpilot-doctor-") as work:
        try:
            result = ShellSandbox(ShellSettings(), Path(work) / "work").run(["true"])
        except Exception as exc:
            return Check(name="bubblewrap", status="warn", found=f"{path}: {exc}", fix=fix)
    if result.exit_code != 0:
        said = " ".join(result.output.split())[:200]
        fix = (
            "bwrap cannot create namespaces here: allow unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1) or run outside this container"
        )
        return Check(name="bubblewrap", status="warn", found=f"{path} failed: {said}", fix=fix)
    return Check(name="bubblewrap", status="ok", found=f"{path} starts a sandbox")


def check_tk() -> Check:
    """tkinter imports (the demo window and the Tk test apps need it)."""
    try:
        import tkinter
    except ImportError as exc:
        return Check(
            name="Tk",
            status="warn",
            found=f"tkinter does not import: {exc}",
            fix="apt-get install python3-tk (for the demo window)",
        )
    return Check(name="Tk", status="ok", found=f"Tk {tkinter.TkVersion}")


def check_input(display_ok: bool) -> Check:
    """pyautogui and pynput are installed, and the display takes synthetic input (XTEST)."""
    missing = [n for n in ("pyautogui", "pynput") if importlib.util.find_spec(n) is None]
    if missing:
        return Check(
            name="input drivers",
            status="fail",
            found=f"missing: {', '.join(missing)}",
            fix="pip install deskpilot (they are its dependencies)",
            required=True,
        )
    found = "pyautogui, pynput"
    if display_ok:
        from Xlib import display

        dpy = display.Display()
        try:
            xtest = dpy.has_extension("XTEST")
        finally:
            dpy.close()
        if not xtest:
            return Check(
                name="input drivers",
                status="fail",
                found=f"{found}; no XTEST",
                fix="use an X server with the XTEST extension (Xvfb, Xorg)",
                required=True,
            )
        found += "; XTEST on the display"
    xdotool = "xdotool present" if shutil.which("xdotool") else "no xdotool (the tests use it)"
    return Check(name="input drivers", status="ok", found=f"{found}; {xdotool}", required=True)


def check_ocr() -> Check:
    """The OCR engine of the ``ocr`` extra imports (screen text, --model text-match)."""
    from importlib import metadata

    if importlib.util.find_spec("rapidocr") is None:
        return Check(
            name="OCR engine",
            status="warn",
            found="not installed",
            fix="pip install 'deskpilot[ocr]' (screen text, --model text-match)",
        )
    try:
        version = metadata.version("rapidocrlite")
    except metadata.PackageNotFoundError:
        return Check(
            name="OCR engine",
            status="warn",
            found="a rapidocr that is not rapidocrlite",
            fix="pip uninstall rapidocr; pip install 'deskpilot[ocr]'",
        )
    return Check(name="OCR engine", status="ok", found=f"rapidocrlite {version}")


def check_microphone() -> Check:
    """`deskpilot run --listen`'s recorder (arecord) and a capture device for it (``arecord -l``);
    a spoken task from a file (``--audio``) needs neither."""
    import subprocess

    path = shutil.which("arecord")
    if path is None:
        return Check(
            name="microphone",
            status="warn",
            found="arecord is not installed",
            fix="apt-get install alsa-utils (for --listen; --audio TASK.wav needs nothing)",
        )
    try:
        listed = subprocess.run([path, "-l"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name="microphone", status="warn", found=f"{path} -l: {exc}")
    cards = [line for line in listed.stdout.splitlines() if line.startswith("card ")]
    if not cards:
        return Check(
            name="microphone",
            status="warn",
            found="arecord finds no capture device",
            fix="connect a microphone for --listen (--mic names an ALSA device), or give the "
            "task as --audio TASK.wav",
        )
    return Check(
        name="microphone", status="ok", found=f"{len(cards)} capture device(s): {cards[0]}"
    )


def check_model(path: Path | None) -> Check:
    """The model: the embedded one, or the folder given: complete, readable by onnxruntime-genai,
    and whether its weights are random (the tiny test folders)."""
    from deskpilot.errors import UsageError
    from deskpilot.runtime.folder import ModelFolder
    from deskpilot.runtime.loader import default_model_folder, has_default_model

    required = path is not None
    if path is None and not has_default_model():
        return Check(
            name="model",
            status="warn",
            found="this installation has no embedded model (reinstall deskpilot)",
            fix="give a folder: deskpilot doctor --model PATH; or run with "
            "--model text-match (needs the OCR engine)",
        )
    folder = path or default_model_folder()
    try:
        model = ModelFolder.open(folder)
        import onnxruntime_genai as og

        og.Config(str(folder))
    except (UsageError, ImportError, RuntimeError) as exc:
        return Check(
            name="model",
            status=_missing(required),
            found=f"{folder}: {exc}",
            fix="give an onnxruntime-genai model folder (genai_config.json and the files it names)",
            required=required,
        )
    found = f"{folder}: {model.model_type}, {model.quantization()}"
    found += ", hears a spoken task" if model.audio_input else ""
    if model.random_weights:
        return Check(
            name="model",
            status="warn",
            required=required,
            found=f"{found}; its weights are random (a test folder, its build_info.json says so): "
            "it answers nonsense",
            fix="use a trained model folder",
        )
    return Check(name="model", status="ok", found=found, required=required)


def run_checks(model: Path | None = None) -> list[Check]:
    """Every check, in the order the table shows them."""
    display = check_display()
    shown_ok = display.status == "ok"
    checks: list[Callable[[], Check]] = [
        lambda: check_window_manager(shown_ok),
        check_bubblewrap,
        check_tk,
        lambda: check_input(shown_ok),
        check_ocr,
        check_microphone,
        lambda: check_model(model),
    ]
    return [display, *(check() for check in checks)]


def doctor(
    model: Annotated[
        Path | None, typer.Option(help="A model folder to check (default: the embedded model).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check this machine for deskpilot and say what to install; exit 1 when a required check fails.

    Checks: display, window manager, bubblewrap, Tk, input drivers, OCR, microphone and model."""
    checks = run_checks(model)
    failed = any(c.status == "fail" and c.required for c in checks)
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        table = Table("check", "status", "found", "to fix", title="deskpilot doctor")
        for c in checks:
            status = f"[{_STYLE[c.status]}]{c.status}[/]" + (" (required)" if c.required else "")
            table.add_row(
                c.name, status, escape(c.found), escape(c.fix if c.status != "ok" else "")
            )
        out.print(table)
        out.print("[red]a required check failed[/]" if failed else "[green]ready[/]")
    raise typer.Exit(1 if failed else 0)
