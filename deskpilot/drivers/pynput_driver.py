"""An input driver on pynput (imported only when the driver is created: it needs a display)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from deskpilot.drivers.base import CLICK_INTERVAL, WHEEL_INTERVAL, Button, wheel_steps
from deskpilot.screen import require_display
from deskpilot.stopflag import StopFlag

_DRAG_STEPS = 12
_DRAG_STEP_SECONDS = 0.01
# After a pointer jump, a short pause before any press: the app sees the pointer arrive (Enter,
# Motion) first. Without it a double click on a freshly mapped Tk window was once seen as none.
_SETTLE_SECONDS = 0.02
_KEY_NAMES = {
    "ctrl": "ctrl",
    "alt": "alt",
    "shift": "shift",
    "super": "cmd",
    "enter": "enter",
    "tab": "tab",
    "escape": "esc",
    "space": "space",
    "backspace": "backspace",
    "delete": "delete",
    "insert": "insert",
    "home": "home",
    "end": "end",
    "pageup": "page_up",
    "pagedown": "page_down",
    "up": "up",
    "down": "down",
    "left": "left",
    "right": "right",
    "capslock": "caps_lock",
    "printscreen": "print_screen",
    "menu": "menu",
    **{f"f{i}": f"f{i}" for i in range(1, 13)},
}


class PynputDriver:
    """Mouse and keyboard through pynput controllers."""

    name = "pynput"

    def __init__(self, stop: StopFlag | None = None) -> None:
        require_display()
        from pynput import keyboard, mouse

        self._mouse: Any = mouse.Controller()
        self._keyboard: Any = keyboard.Controller()
        self._buttons: dict[str, Any] = {
            "left": mouse.Button.left,
            "right": mouse.Button.right,
            "middle": mouse.Button.middle,
        }
        self._key_enum: Any = keyboard.Key
        self.stop = stop or StopFlag()

    def _key(self, name: str) -> Any:
        if name == "plus":
            return "+"
        if name in _KEY_NAMES:
            return getattr(self._key_enum, _KEY_NAMES[name])
        return name

    def move(self, x: int, y: int) -> None:
        """Move the pointer."""
        self.stop.check()
        self._mouse.position = (x, y)
        time.sleep(_SETTLE_SECONDS)

    def click(self, x: int, y: int, *, button: Button = "left", clicks: int = 1) -> None:
        """Click at (x, y)."""
        self.move(x, y)
        self.stop.check()
        for index in range(clicks):
            if index:
                time.sleep(CLICK_INTERVAL)
                self.stop.check()
            self._mouse.click(self._buttons[button], 1)

    def drag(
        self, start: tuple[int, int], end: tuple[int, int], *, button: Button = "left"
    ) -> None:
        """Press at start, move in small steps to end, release."""
        self.move(*start)
        self._mouse.press(self._buttons[button])
        try:
            for i in range(1, _DRAG_STEPS + 1):
                self.stop.check()
                x = start[0] + (end[0] - start[0]) * i // _DRAG_STEPS
                y = start[1] + (end[1] - start[1]) * i // _DRAG_STEPS
                self._mouse.position = (x, y)
                time.sleep(_DRAG_STEP_SECONDS)
        finally:
            self._mouse.release(self._buttons[button])

    def scroll(self, x: int, y: int, *, dx: int, dy: int) -> None:
        """Scroll; pynput's vertical sign is the opposite of ours (> 0 is up there)."""
        self.move(x, y)
        for index, (step_x, step_y) in enumerate(wheel_steps(dx, dy)):
            if index:
                time.sleep(WHEEL_INTERVAL)
            self.stop.check()
            self._mouse.scroll(step_x, -step_y)

    def type_text(self, text: str) -> None:
        """Type one character at a time, checking the stop flag before each."""
        for char in text:
            self.stop.check()
            if char == "\n":
                self._keyboard.tap(self._key_enum.enter)
            elif char == "\t":
                self._keyboard.tap(self._key_enum.tab)
            elif char.isascii():
                self._keyboard.type(char)
            else:  # pynput lends such a character a spare keycode for the moment it is typed:
                # give the app time to read each event before the keymap changes again (typed
                # at full speed, a CI run once saw "€" arrive as an unknown key)
                self._keyboard.press(char)
                time.sleep(_SETTLE_SECONDS)
                self._keyboard.release(char)
                time.sleep(_SETTLE_SECONDS)

    def press_keys(self, keys: Sequence[str]) -> None:
        """Hold the modifiers, tap the last key, release in reverse order."""
        self.stop.check()
        *modifiers, last = [self._key(k) for k in keys]
        pressed: list[Any] = []
        try:
            for key in modifiers:
                self._keyboard.press(key)
                pressed.append(key)
            self._keyboard.tap(last)
        finally:
            for key in reversed(pressed):
                self._keyboard.release(key)
