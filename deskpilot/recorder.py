"""`deskpilot record`: the user's clicks, drags, scrolls and keys become a recipe.

Each pointer step gets a crop of the screen around its target, taken when the button goes down
(before the application reacts), so replay can check that the screen still looks the same there,
and, when an OCR engine is installed, the text under the target (a button's caption), which replay
looks for first where the screen changed.
Typed characters are merged into `type_text` steps; combinations become `key` steps.

The mouse and the keyboard are heard on two listener threads, which a busy machine can run late
by different amounts: a click may arrive before the keys typed ahead of it. So nothing is decided
as events arrive. Each event is kept with the time it happened (the X server's own time, where the
backend gives it) and the steps are built in that order when recording stops.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.keys import parse_combo
from deskpilot.recipes.grounding import crop_around
from deskpilot.screen import Frame, ScreenSource

DOUBLE_CLICK_SECONDS = 0.5
DRAG_PIXELS = 8
STOP_GRACE_SECONDS = 0.3  # after the hotkey, for events still on their way through the other thread
_EVENT_TIME = threading.local()  # the time of the event a listener thread is handling, if known
_NAMES = {  # pynput's key names -> deskpilot's (left and right modifiers are one modifier)
    "ctrl": "ctrl", "ctrl_l": "ctrl", "ctrl_r": "ctrl",
    "alt": "alt", "alt_l": "alt", "alt_r": "alt", "alt_gr": "alt",
    "shift": "shift", "shift_l": "shift", "shift_r": "shift",
    "cmd": "super", "cmd_l": "super", "cmd_r": "super",
    "enter": "enter", "esc": "escape", "page_up": "pageup", "page_down": "pagedown",
    "caps_lock": "capslock", "print_screen": "printscreen",
}  # fmt: skip


def event_clock() -> float:
    """The time of the event being handled, in seconds: the X server's time, or now."""
    server_ms = getattr(_EVENT_TIME, "ms", None)
    return server_ms / 1000 if server_ms is not None else time.monotonic()


@dataclass(frozen=True, order=True)
class _Event:
    """One input event, kept until recording stops; ordered by when it happened."""

    at: float
    seq: int
    kind: str = field(compare=False)  # "button", "scroll" or "key"
    data: tuple[Any, ...] = field(compare=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # JSON string escapes are valid TOML


class Recorder:
    """Listens to the real mouse and keyboard until the stop hotkey, then writes a recipe."""

    def __init__(
        self,
        screen_factory: Callable[[], ScreenSource],
        out: Path,
        *,
        stop_hotkey: str = "ctrl+alt+r",
        title: Callable[[], str | None] = lambda: None,
        text_at: Callable[[Frame, int, int], str | None] | None = None,
        clock: Callable[[], float] = event_clock,
    ) -> None:
        self.out = out
        self.stop_keys = frozenset(parse_combo(stop_hotkey))
        self.stop_hotkey = stop_hotkey
        self.steps: list[dict[str, Any]] = []
        self._screen_factory = screen_factory
        self._local = threading.local()
        self._title = title
        self._text_at = text_at
        self._clock = clock
        self._events: list[_Event] = []
        self._stop_at: float | None = None
        self._live_held: set[str] = set()  # modifiers down now, for the hotkey (keyboard thread)
        self._text = ""
        self._held: set[str] = set()  # modifiers down at the event being replayed into steps
        self._press: tuple[int, int, str, Frame, str | None] | None = None
        self._last_click: tuple[float, int, int] | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Any] = []

    # -- hearing events (listener threads) ----------------------------------------------------
    def _keep(self, kind: str, *data: Any) -> None:
        at = self._clock()
        with self._lock:
            self._events.append(_Event(at, len(self._events), kind, data))

    def _grab(self) -> Frame:
        if getattr(self._local, "screen", None) is None:
            self._local.screen = self._screen_factory()
        frame: Frame = self._local.screen.grab()
        return frame

    def on_click(self, x: int, y: int, button: Any, pressed: bool, injected: bool = False) -> None:
        """A button went down (the screen is grabbed now, before the application reacts) or up."""
        if injected:
            return
        name = getattr(button, "name", "left")
        grabbed = (self._grab(), self._title()) if pressed else None
        self._keep("button", int(x), int(y), name, pressed, grabbed)

    def on_scroll(self, x: int, y: int, dx: int, dy: int, injected: bool = False) -> None:
        """The wheel turned (the screen is grabbed now)."""
        if not injected:
            self._keep("scroll", int(x), int(y), int(dx), int(dy), (self._grab(), self._title()))

    def _key_name(self, key: Any) -> str | None:
        name = getattr(key, "name", None)
        if name is not None:
            return str(_NAMES.get(name, name))
        char = getattr(key, "char", None)
        return char if isinstance(char, str) and char else None

    def on_press(self, key: Any, injected: bool = False) -> None:
        """A key went down; the stop hotkey ends recording."""
        name = self._key_name(key)
        if injected or name is None:
            return
        if name in _MODIFIERS:
            self._live_held.add(name)
        elif self.stop_keys <= {*self._live_held, _plain(name)} and not self._done.is_set():
            self._stop_at = self._clock()
            self._done.set()
            return
        self._keep("key", name, True)

    def on_release(self, key: Any, injected: bool = False) -> None:
        """A key went up."""
        name = self._key_name(key)
        if injected or name is None:
            return
        self._live_held.discard(name)
        self._keep("key", name, False)

    # -- building steps, in the order things happened -----------------------------------------
    def _pixels(self, frame: Frame, x: int, y: int) -> tuple[int, int]:
        m = frame.monitor
        return round((x - m.left) * m.scale), round((y - m.top) * m.scale)

    def _pointer_step(
        self, tool: str, args: dict[str, Any], frame: Frame, at: tuple[int, int], where: str | None
    ) -> None:
        self._flush_text()
        index = len(self.steps) + 1
        crops = self.out.parent / f"{self.out.stem}-crops"
        crops.mkdir(parents=True, exist_ok=True)
        crop_around(frame, *at).save(crops / f"step-{index:03d}.png")
        said = self._text_at(frame, *at) if self._text_at is not None else None
        what = f"{said!r} at {at}" if said else f"the target at {at}"
        step = {
            "tool": tool,
            "args": args,
            "description": what + (f" in the window {where!r}" if where else ""),
            "expect_crop": f"{crops.name}/step-{index:03d}.png",
        }
        if said:
            step["target_text"] = said
        self.steps.append(step)

    def _button(self, when: float, x: int, y: int, name: str, pressed: bool, grabbed: Any) -> None:
        """Button down: remember where; button up: a click, a double click or a drag."""
        if pressed:
            self._press = (x, y, name, *grabbed)
            return
        if self._press is None:
            return
        x0, y0, name, frame, where = self._press
        self._press = None
        start = self._pixels(frame, x0, y0)
        end = self._pixels(frame, x, y)
        if abs(end[0] - start[0]) + abs(end[1] - start[1]) > DRAG_PIXELS:
            drag = {"start_x": start[0], "start_y": start[1], "end_x": end[0], "end_y": end[1]}
            self._pointer_step("drag", drag, frame, start, where)
            return
        last = self._last_click
        if (
            name == "left"
            and last
            and when - last[0] < DOUBLE_CLICK_SECONDS
            and abs(last[1] - start[0]) + abs(last[2] - start[1]) <= 4
            and self.steps
            and self.steps[-1]["tool"] == "click"
        ):
            self.steps[-1]["tool"] = "double_click"
            self._last_click = None
            return
        self._last_click = (when, *start)
        tool = {"left": "click", "right": "right_click"}.get(name, "click")
        args: dict[str, Any] = {"x": start[0], "y": start[1]}
        if name == "middle":
            args["button"] = "middle"
        self._pointer_step(tool, args, frame, start, where)

    def _scroll(self, when: float, x: int, y: int, dx: int, dy: int, grabbed: Any) -> None:
        """Wheel turns; consecutive ones at one place merge into one step."""
        frame, where = grabbed
        at = self._pixels(frame, x, y)
        last = self.steps[-1] if self.steps else None
        if last and last["tool"] == "scroll" and (last["args"]["x"], last["args"]["y"]) == at:
            last["args"]["dx"] += dx
            last["args"]["dy"] -= dy
            return
        self._pointer_step(
            "scroll", {"x": at[0], "y": at[1], "dx": dx, "dy": -dy}, frame, at, where
        )

    def _key(self, when: float, name: str, pressed: bool) -> None:
        """Characters accumulate into text; modifiers + key and special keys become key steps."""
        if name in _MODIFIERS:
            (self._held.add if pressed else self._held.discard)(name)
            return
        if not pressed:
            return
        modifiers = self._held - {"shift"}
        if len(name) == 1 and not modifiers:
            self._text += name
        elif name == "enter" and not modifiers:
            self._text += "\n"
        elif name == "space" and not modifiers:
            self._text += " "
        elif name == "backspace" and self._text and not modifiers:
            self._text = self._text[:-1]
        else:
            self._flush_text()
            keys = "+".join([*sorted(modifiers), _plain(name)])
            self.steps.append({"tool": "key", "args": {"keys": keys}})

    def _flush_text(self) -> None:
        if self._text:
            self.steps.append({"tool": "type_text", "args": {"text": self._text}})
            self._text = ""

    def build_steps(self) -> list[dict[str, Any]]:
        """Turn the events heard so far, in the order they happened, into steps (up to the hotkey)."""
        with self._lock:
            events = sorted(self._events)
        handlers: dict[str, Callable[..., None]] = {
            "button": self._button,
            "scroll": self._scroll,
            "key": self._key,
        }
        self.steps, self._text, self._held = [], "", set()
        self._press = self._last_click = None
        for event in events:
            if self._stop_at is not None and event.at >= self._stop_at:
                break
            handlers[event.kind](event.at, *event.data)
        self._flush_text()
        return self.steps

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Recorder:
        """Start listening (needs a display)."""
        try:
            from pynput import keyboard, mouse
        except ImportError as exc:
            raise UsageError(f"recording needs a display: {exc}") from None
        mice = _timed(mouse.Listener)(on_click=self.on_click, on_scroll=self.on_scroll)
        keys = _timed(keyboard.Listener)(on_press=self.on_press, on_release=self.on_release)
        self._listeners = [mice, keys]
        for listener in self._listeners:
            listener.start()
            listener.wait()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the stop hotkey (or ``timeout``); True if the hotkey ended it."""
        return self._done.wait(timeout)

    def stop(self) -> Path:
        """Stop listening, build the steps and write the recipe; return its path."""
        if self._listeners:
            time.sleep(STOP_GRACE_SECONDS)  # let a thread running late deliver what came before
        for listener in self._listeners:
            listener.stop()
        self.build_steps()
        return self.save()

    def save(self) -> Path:
        """Write the steps as a TOML recipe."""
        lines = [
            f"# Recorded by deskpilot on {time.strftime('%Y-%m-%d %H:%M')}. Pointer steps carry",
            "# a crop of their target: replay checks it and re-grounds where the screen changed.",
            f"name = {_toml_value(self.out.stem)}",
            "",
        ]
        for step in self.steps:
            lines.append("[[step]]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in step.items())
            lines.append("")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text("\n".join(lines), encoding="utf-8")
        return self.out


_MODIFIERS = frozenset({"ctrl", "alt", "shift", "super"})


def _plain(name: str) -> str:
    return name.lower() if len(name) == 1 else name


def _timed(listener: type[Any]) -> type[Any]:
    """A pynput listener class that notes each event's own time for :func:`event_clock`.

    The X backend hands every event to ``_handle_message`` with the server's timestamp; other
    backends lack the method, and their events are timed on arrival."""
    if not hasattr(listener, "_handle_message"):
        return listener

    class Timed(listener):  # type: ignore[misc]
        def _handle_message(self, display: Any, event: Any, injected: bool) -> None:
            _EVENT_TIME.ms = getattr(event, "time", None)
            try:
                super()._handle_message(display, event, injected)
            finally:
                _EVENT_TIME.ms = None

    return Timed
