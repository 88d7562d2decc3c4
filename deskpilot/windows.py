"""The active window's title and class, read from the window manager (X11, through python-xlib)."""

from __future__ import annotations

from typing import Any


def active_window() -> tuple[str | None, str | None]:
    """(title, class) of the focused window; (None, None) when it cannot be known.

    Policies that name windows treat an unknown window as not matching: an allow rule for a window
    then does not apply (deny by default), while a deny rule for it does not fire either, so keep
    window rules as allowlists.
    """
    try:
        from Xlib import X, display

        dpy: Any = display.Display()
    except Exception:
        return None, None
    try:
        root = dpy.screen().root
        active = root.get_full_property(dpy.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
        if not active or not active.value or not active.value[0]:
            return None, None
        window = dpy.create_resource_object("window", int(active.value[0]))
        name = window.get_full_property(dpy.intern_atom("_NET_WM_NAME"), 0)
        title = name.value.decode("utf-8", "replace") if name else window.get_wm_name()
        wm_class = window.get_wm_class()
        return (str(title) if title is not None else None,
                str(wm_class[1]) if wm_class else None)  # fmt: skip
    except Exception:
        return None, None
    finally:
        dpy.close()
