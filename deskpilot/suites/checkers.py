"""Checkers: whether a task succeeded, decided from the real state of the desktop after the run
(files, window titles, the clipboard, an application's state file, the screen's text, or a Python
function from a plugin), never from what the model said about itself."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.recipes.schema import Scalar
from deskpilot.suites.schema import Check, fill


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """A checker's verdict and why."""

    passed: bool
    detail: str


@dataclass(frozen=True, kw_only=True)
class CheckContext:
    """What a check may look at: the task's folder, its placeholder values and the display."""

    workdir: Path
    values: dict[str, Scalar]
    display: str

    def env(self) -> dict[str, str]:
        """The environment of a program that must see this task's display."""
        return {**os.environ, "DISPLAY": self.display}


def window_titles(display: str) -> list[str]:
    """The titles of the top-level windows a window manager lists (``_NET_CLIENT_LIST``) on
    ``display``; empty when it cannot be asked."""
    try:
        from Xlib import X
        from Xlib import display as xdisplay
    except ImportError:  # pragma: no cover - python-xlib comes with the input drivers
        return []
    try:
        dpy: Any = xdisplay.Display(display)
    except Exception:
        return []
    try:
        return listed_titles(dpy, X.AnyPropertyType)
    except Exception:
        return []
    finally:
        dpy.close()


def listed_titles(dpy: Any, any_type: int) -> list[str]:
    """The titles of the windows ``dpy``'s window manager lists; a window listed a moment ago
    and gone by the time it is asked is left out, and the others kept."""
    root = dpy.screen().root
    listed = root.get_full_property(dpy.intern_atom("_NET_CLIENT_LIST"), any_type)
    titles = []
    for wid in listed.value if listed else []:
        try:
            titles.append(_title(dpy, int(wid)))
        except Exception:  # Xlib's BadWindow: it closed in between
            continue
    return titles


def _title(dpy: Any, wid: int) -> str:
    """One window's title (``_NET_WM_NAME``, else ``WM_NAME``)."""
    window = dpy.create_resource_object("window", wid)
    name = window.get_full_property(dpy.intern_atom("_NET_WM_NAME"), 0)
    title = name.value.decode("utf-8", "replace") if name else window.get_wm_name()
    return title.decode("latin-1") if isinstance(title, bytes) else str(title or "")


def clipboard_text(display: str, timeout: float = 5) -> str | None:
    """The CLIPBOARD selection's text on ``display`` (``xclip``), or None when it holds none."""
    try:
        done = subprocess.run(
            ["xclip", "-selection", "clipboard", "-o"],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "DISPLAY": display},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def _read(path: str) -> str | None:
    file = Path(path)
    return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None


def _app_value(path: str, key: str) -> tuple[bool, Any]:
    try:
        value: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _screen_says(text: str, display: str) -> CheckResult:
    from deskpilot.perception import ScreenReader, default_engine
    from deskpilot.screen import MssScreen

    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        screen = MssScreen(1)
        try:
            said = ScreenReader(default_engine()).read(screen.grab())
        finally:
            screen.close()
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
    if said.matches(text):
        return CheckResult(passed=True, detail=f"the screen says {text!r}")
    return CheckResult(
        passed=False, detail=f"the screen does not say {text!r}; it says: {said.summary()}"
    )


def python_check(spec: str) -> Callable[[CheckContext], bool | str | CheckResult]:
    """The function ``module:function`` names (a plugin's check): it is called with the
    `CheckContext` and answers True / False, a `CheckResult`, or a string saying what is wrong
    ("" when nothing is)."""
    module, _, name = spec.partition(":")
    try:
        func: Callable[[CheckContext], bool | str | CheckResult] = getattr(
            importlib.import_module(module), name
        )
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"python check {spec}: {exc}") from None
    return func


def _python(spec: str, ctx: CheckContext) -> CheckResult:
    try:
        answer = python_check(spec)(ctx)
    except Exception as exc:
        return CheckResult(passed=False, detail=f"python check {spec} raised {exc!r}")
    if isinstance(answer, CheckResult):
        return answer
    if isinstance(answer, str):
        return CheckResult(passed=not answer, detail=answer or f"{spec} holds")
    return CheckResult(passed=bool(answer), detail=f"{spec} {'holds' if answer else 'fails'}")


def run_check(check: Check, ctx: CheckContext) -> CheckResult:
    """Decide one check (placeholders such as ``{workdir}`` are filled first)."""
    c: Check = Check.model_validate(fill(check.model_dump(exclude_none=True), ctx.values))
    if c.file_exists is not None:
        ok = Path(c.file_exists).exists()
        return CheckResult(passed=ok, detail=f"{c.file_exists} {'exists' if ok else 'is missing'}")
    if c.file_absent is not None:
        ok = not Path(c.file_absent).exists()
        return CheckResult(passed=ok, detail=f"{c.file_absent} {'is absent' if ok else 'exists'}")
    if c.file_contains is not None:
        path, text = c.file_contains
        content = _read(path)
        ok = content is not None and text in content
        said = "is missing" if content is None else f"holds {content[:200]!r}"
        return CheckResult(
            passed=ok,
            detail=f"{path} contains {text!r}"
            if ok
            else f"{path} does not contain {text!r}: it {said}",
        )
    if c.file_equals is not None:
        path, text = c.file_equals
        content = _read(path)
        ok = content is not None and content.rstrip("\n") == text.rstrip("\n")
        said = "is missing" if content is None else f"holds {content[:200]!r}"
        return CheckResult(
            passed=ok,
            detail=f"{path} holds {text!r}" if ok else f"{path} does not hold {text!r}: it {said}",
        )
    if c.window_title is not None:
        titles = window_titles(ctx.display)
        ok = any(re.search(c.window_title, t) for t in titles)
        return CheckResult(
            passed=ok,
            detail=f"window titles {titles}: "
            f"{'one matches' if ok else 'none matches'} /{c.window_title}/",
        )
    if c.clipboard is not None:
        held = clipboard_text(ctx.display)
        ok = held is not None and held.rstrip("\n") == c.clipboard.rstrip("\n")
        return CheckResult(
            passed=ok,
            detail=f"the clipboard holds {held!r}" + ("" if ok else f", not {c.clipboard!r}"),
        )
    if c.app_state is not None:
        state = c.app_state
        found, value = _app_value(state.file, state.key)
        ok = found and value == state.equals
        return CheckResult(
            passed=ok,
            detail=f"{state.key} = {value!r} in {state.file}"
            + ("" if ok else f", not {state.equals!r}"),
        )
    if c.screen_text is not None:
        return _screen_says(c.screen_text, ctx.display)
    assert c.python is not None
    return _python(c.python, ctx)


def run_checks(checks: list[Check], ctx: CheckContext) -> CheckResult:
    """All checks must hold; the detail says each one's verdict."""
    results = [run_check(check, ctx) for check in checks]
    detail = "; ".join(("ok: " if r.passed else "FAILED: ") + r.detail for r in results)
    return CheckResult(passed=all(r.passed for r in results), detail=detail)
