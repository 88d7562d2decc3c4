"""Which window an action reaches: the top-level window under a point, and the focused window.

Pointer actions land in the window under each of their points, whatever has the focus; keys and
typed text go to the focused window. Both are read from the X server (python-xlib): the window at a
point is the topmost mapped child of the root there (the server's stacking order, so the window
manager's frames included), then the client window inside that frame (the one with ``WM_STATE``).

A lookup that fails gives `UNKNOWN`: it never matches an allow rule, and it always matches a deny
or ask rule that names a window (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class Window:
    """A top-level window as policies see it. ``known`` is False when the lookup failed."""

    title: str = ""
    wm_class: str = ""
    known: bool = True


UNKNOWN = Window(known=False)
DESKTOP = Window()  # no window there (the root window): known, with an empty title and class


class WindowLookup(Protocol):
    """Answers which windows an action reaches."""

    def focused(self) -> Window:
        """The window that receives keys."""
        ...

    def at(self, points: Sequence[tuple[int, int]]) -> tuple[Window, ...]:
        """The top-level window under each point (driver pixels, i.e. root coordinates)."""
        ...


class NoWindows:
    """When no rule looks at windows: nothing is asked of the X server, every window unknown."""

    def focused(self) -> Window:
        """`UNKNOWN`."""
        return UNKNOWN

    def at(self, points: Sequence[tuple[int, int]]) -> tuple[Window, ...]:
        """`UNKNOWN` for every point."""
        return tuple(UNKNOWN for _ in points)


NO_WINDOWS = NoWindows()


@contextmanager
def _display() -> Iterator[Any]:
    from Xlib import display

    dpy: Any = display.Display()
    try:
        yield dpy
    finally:
        dpy.close()


def _describe(dpy: Any, window: Any) -> Window:
    name = window.get_full_property(dpy.intern_atom("_NET_WM_NAME"), 0)
    title = name.value.decode("utf-8", "replace") if name else window.get_wm_name()
    wm_class = window.get_wm_class()
    title = title.decode("latin-1") if isinstance(title, bytes) else title
    return Window(title=str(title or ""), wm_class=str(wm_class[1]) if wm_class else "")


def _client(dpy: Any, window: Any) -> Any:
    """The client window (the one with WM_STATE) of a frame, a widget or the window itself."""
    wm_state = dpy.intern_atom("WM_STATE")
    root = dpy.screen().root
    node = window
    while node is not None and node.id != root.id:  # up: a focused widget -> its top level
        if node.get_full_property(wm_state, 0) is not None:
            return node
        node = node.query_tree().parent
    queue = [window]
    while queue:  # down: a window manager's frame -> the client inside it
        node = queue.pop(0)
        if node.get_full_property(wm_state, 0) is not None:
            return node
        queue.extend(node.query_tree().children)
    return window


def _at_point(dpy: Any, x: int, y: int) -> Window:
    root = dpy.screen().root
    child = root.translate_coords(root, x, y).child
    if not child:
        return DESKTOP
    return _describe(dpy, _client(dpy, child))


class X11Windows:
    """Window lookups on the X display of ``$DISPLAY``; a new connection for each question."""

    def focused(self) -> Window:
        """The active window (``_NET_ACTIVE_WINDOW``), else the X input focus."""
        from Xlib import X

        try:
            with _display() as dpy:
                root = dpy.screen().root
                active = root.get_full_property(
                    dpy.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType
                )
                if active and active.value and active.value[0]:
                    window = dpy.create_resource_object("window", int(active.value[0]))
                    return _describe(dpy, _client(dpy, window))
                focus = dpy.get_input_focus().focus
                if focus == X.PointerRoot:
                    pointer = root.query_pointer()
                    return _at_point(dpy, pointer.root_x, pointer.root_y)
                if not focus or isinstance(focus, int) or focus.id == root.id:
                    return DESKTOP
                return _describe(dpy, _client(dpy, focus))
        except Exception:
            return UNKNOWN

    def at(self, points: Sequence[tuple[int, int]]) -> tuple[Window, ...]:
        """The top-level window under each point; `UNKNOWN` for each when the lookup fails."""
        if not points:
            return ()
        try:
            with _display() as dpy:
                return tuple(_at_point(dpy, x, y) for x, y in points)
        except Exception:
            return tuple(UNKNOWN for _ in points)


def active_window() -> tuple[str | None, str | None]:
    """(title, class) of the focused window; (None, None) when it cannot be known."""
    window = X11Windows().focused()
    return (window.title, window.wm_class) if window.known else (None, None)
