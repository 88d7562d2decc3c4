"""What the X desktop offers: a reachable display, and a window manager that says which window is
active. `deskpilot doctor`, the demo and recipe waits use these to say *why* something cannot work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

NO_DISPLAY_HELP = (
    "set DISPLAY to a running X display (e.g. DISPLAY=:0 on a desktop session), or start a "
    "virtual one (apt-get install xvfb; `deskpilot demo` starts one itself)"
)
NO_WM_HELP = (
    "no window manager: _NET_SUPPORTING_WM_CHECK and _NET_ACTIVE_WINDOW are not set on the root "
    "window, so no window counts as active; start one on the display (apt-get install jwm; "
    "jwm &)"
)


def display_problem(name: str | None = None) -> str | None:
    """Why the X display ``name`` (default: ``$DISPLAY``) cannot be used, or None if it can."""
    name = name if name is not None else os.environ.get("DISPLAY")
    if not name:
        return "DISPLAY is not set"
    try:
        from Xlib import display
    except ImportError as exc:  # pragma: no cover - python-xlib comes with the input drivers
        return f"python-xlib is missing ({exc})"
    try:
        display.Display(name).close()
    except Exception as exc:
        return f"cannot open the display {name!r}: {exc}"
    return None


@dataclass(frozen=True, kw_only=True)
class WindowManager:
    """What the root window says about the window manager (EWMH)."""

    name: str | None  # from _NET_SUPPORTING_WM_CHECK's window; None when no EWMH manager runs
    active_window: bool  # whether _NET_ACTIVE_WINDOW is set (a window manager maintains it)


def window_manager(name: str | None = None) -> WindowManager | None:
    """The window manager of display ``name`` (default: ``$DISPLAY``); None if it cannot be
    reached."""
    try:
        from Xlib import X, display
    except ImportError:  # pragma: no cover
        return None
    try:
        dpy: Any = display.Display(name or os.environ.get("DISPLAY") or "")
    except Exception:
        return None
    try:
        root = dpy.screen().root
        check = root.get_full_property(
            dpy.intern_atom("_NET_SUPPORTING_WM_CHECK"), X.AnyPropertyType
        )
        wm_name = None
        if check and check.value and check.value[0]:
            window = dpy.create_resource_object("window", int(check.value[0]))
            prop = window.get_full_property(dpy.intern_atom("_NET_WM_NAME"), X.AnyPropertyType)
            value = prop.value if prop else b""
            wm_name = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            wm_name = wm_name or "unnamed"
        active = root.get_full_property(dpy.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
        return WindowManager(name=wm_name, active_window=bool(active and len(active.value)))
    except Exception:
        return None
    finally:
        dpy.close()


def active_window_hint() -> str:
    """Why no window title can match, when that is the reason ("" when a window manager keeps
    ``_NET_ACTIVE_WINDOW``, or the display cannot be asked)."""
    manager = window_manager()
    if manager is None or manager.name is not None or manager.active_window:
        return ""
    return NO_WM_HELP
