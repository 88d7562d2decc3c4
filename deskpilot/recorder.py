"""`deskpilot record`: the user's clicks, drags, scrolls and keys become a recipe.

Each pointer step gets a crop of the screen around its target, taken when the button goes down
(before the application reacts), so replay can check that the screen still looks the same there,
and, when an OCR engine is installed, the text under the target (a button's caption), which replay
looks for first where the screen changed.
Typed characters are merged into `type_text` steps; combinations become `key` steps.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.recipes.grounding import crop_around
from deskpilot.screen import Frame, ScreenSource
from deskpilot.tools.keys import parse_combo

DOUBLE_CLICK_SECONDS = 0.5
DRAG_PIXELS = 8
_NAMES = {"ctrl": "ctrl", "alt": "alt", "alt_gr": "alt", "shift": "shift", "cmd": "super",
          "enter": "enter", "esc": "escape", "page_up": "pageup", "page_down": "pagedown",
          "caps_lock": "capslock", "print_screen": "printscreen"}  # fmt: skip


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
        self, screen_factory: Callable[[], ScreenSource], out: Path, *,
        stop_hotkey: str = "ctrl+alt+r", title: Callable[[], str | None] = lambda: None,
        text_at: Callable[[Frame, int, int], str | None] | None = None,
    ) -> None:  # fmt: skip
        self.out = out
        self.stop_keys = frozenset(parse_combo(stop_hotkey))
        self.stop_hotkey = stop_hotkey
        self.steps: list[dict[str, Any]] = []
        self._screen_factory = screen_factory
        self._local = threading.local()
        self._title = title
        self._text_at = text_at
        self._text = ""
        self._held: set[str] = set()
        self._press: tuple[int, int, str, Frame] | None = None
        self._last_click: tuple[float, int, int] | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Any] = []

    # -- capture ------------------------------------------------------------------------------
    def _grab(self) -> Frame:
        if getattr(self._local, "screen", None) is None:
            self._local.screen = self._screen_factory()
        frame: Frame = self._local.screen.grab()
        return frame

    def _pixels(self, frame: Frame, x: int, y: int) -> tuple[int, int]:
        m = frame.monitor
        return round((x - m.left) * m.scale), round((y - m.top) * m.scale)

    def _pointer_step(
        self, tool: str, args: dict[str, Any], frame: Frame, at: tuple[int, int]
    ) -> None:
        self._flush_text()
        index = len(self.steps) + 1
        crops = self.out.parent / f"{self.out.stem}-crops"
        crops.mkdir(parents=True, exist_ok=True)
        crop_around(frame, *at).save(crops / f"step-{index:03d}.png")
        where = self._title()
        said = self._text_at(frame, *at) if self._text_at is not None else None
        what = f"{said!r} at {at}" if said else f"the target at {at}"
        step = {
            "tool": tool, "args": args,
            "description": what + (f" in the window {where!r}" if where else ""),
            "expect_crop": f"{crops.name}/step-{index:03d}.png",
        }  # fmt: skip
        if said:
            step["target_text"] = said
        self.steps.append(step)

    # -- mouse --------------------------------------------------------------------------------
    def on_click(self, x: int, y: int, button: Any, pressed: bool, injected: bool = False) -> None:
        """Button down: remember where and grab the screen; button up: a click, double or drag."""
        if injected:
            return
        name = getattr(button, "name", "left")
        with self._lock:
            if pressed:
                self._press = (int(x), int(y), name, self._grab())
                return
            if self._press is None:
                return
            x0, y0, name, frame = self._press
            self._press = None
            start = self._pixels(frame, x0, y0)
            end = self._pixels(frame, int(x), int(y))
            if abs(end[0] - start[0]) + abs(end[1] - start[1]) > DRAG_PIXELS:
                drag = {"start_x": start[0], "start_y": start[1], "end_x": end[0], "end_y": end[1]}
                self._pointer_step("drag", drag, frame, start)
                return
            now = time.monotonic()
            last = self._last_click
            if (name == "left" and last and now - last[0] < DOUBLE_CLICK_SECONDS
                    and abs(last[1] - start[0]) + abs(last[2] - start[1]) <= 4
                    and self.steps and self.steps[-1]["tool"] == "click"):  # fmt: skip
                self.steps[-1]["tool"] = "double_click"
                self._last_click = None
                return
            self._last_click = (now, *start)
            tool = {"left": "click", "right": "right_click"}.get(name, "click")
            args: dict[str, Any] = {"x": start[0], "y": start[1]}
            if name == "middle":
                args["button"] = "middle"
            self._pointer_step(tool, args, frame, start)

    def on_scroll(self, x: int, y: int, dx: int, dy: int, injected: bool = False) -> None:
        """Wheel turns; consecutive ones at one place merge into one step."""
        if injected:
            return
        with self._lock:
            frame = self._grab()
            at = self._pixels(frame, int(x), int(y))
            last = self.steps[-1] if self.steps else None
            if last and last["tool"] == "scroll" and (last["args"]["x"], last["args"]["y"]) == at:
                last["args"]["dx"] += int(dx)
                last["args"]["dy"] -= int(dy)
                return
            self._pointer_step("scroll", {"x": at[0], "y": at[1], "dx": int(dx), "dy": -int(dy)},
                               frame, at)  # fmt: skip

    # -- keyboard -----------------------------------------------------------------------------
    def _key_name(self, key: Any) -> str | None:
        name = getattr(key, "name", None)
        if name is not None:
            return str(_NAMES.get(name, name))
        char = getattr(key, "char", None)
        return char if isinstance(char, str) and char else None

    def on_press(self, key: Any, injected: bool = False) -> None:
        """Characters accumulate into text; modifiers + key and special keys become key steps."""
        if injected:
            return
        name = self._key_name(key)
        if name is None:
            return
        with self._lock:
            if name in ("ctrl", "alt", "shift", "super"):
                self._held.add(name)
                return
            combo = {*(self._held - {"shift"}), name.lower() if len(name) == 1 else name}
            if self.stop_keys <= combo | self._held:
                self._done.set()
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
                keys = "+".join([*sorted(modifiers), name.lower() if len(name) == 1 else name])
                self.steps.append({"tool": "key", "args": {"keys": keys}})

    def on_release(self, key: Any, injected: bool = False) -> None:
        """Track modifiers going up."""
        if not injected:
            self._held.discard(self._key_name(key) or "")

    def _flush_text(self) -> None:
        if self._text:
            self.steps.append({"tool": "type_text", "args": {"text": self._text}})
            self._text = ""

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Recorder:
        """Start listening (needs a display)."""
        try:
            from pynput import keyboard, mouse
        except ImportError as exc:
            raise UsageError(f"recording needs a display: {exc}") from None
        mice = mouse.Listener(on_click=self.on_click, on_scroll=self.on_scroll)
        keys = keyboard.Listener(on_press=self.on_press, on_release=self.on_release)
        self._listeners = [mice, keys]
        for listener in self._listeners:
            listener.start()
            listener.wait()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the stop hotkey (or ``timeout``); True if the hotkey ended it."""
        return self._done.wait(timeout)

    def stop(self) -> Path:
        """Stop listening and write the recipe; return its path."""
        for listener in self._listeners:
            listener.stop()
        with self._lock:
            self._flush_text()
        return self.save()

    def save(self) -> Path:
        """Write the steps as a TOML recipe."""
        lines = [f"# Recorded by deskpilot on {time.strftime('%Y-%m-%d %H:%M')}. Pointer steps carry",
                 "# a crop of their target: replay checks it and re-grounds where the screen changed.",
                 f'name = {_toml_value(self.out.stem)}', ""]  # fmt: skip
        for step in self.steps:
            lines.append("[[step]]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in step.items())
            lines.append("")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text("\n".join(lines), encoding="utf-8")
        return self.out
