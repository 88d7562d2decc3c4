"""The default input driver, on PyAutoGUI (imported only when the driver is created)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from deskpilot.drivers.base import CLICK_INTERVAL, WHEEL_INTERVAL, Button, wheel_steps
from deskpilot.errors import ActionFailed
from deskpilot.screen import require_display
from deskpilot.stopflag import StopFlag, Stopped

# Canonical key names (deskpilot.keys) that PyAutoGUI spells differently.
_PYAUTOGUI_KEYS = {"super": "win", "escape": "esc", "menu": "apps", "plus": "+"}
_DRAG_SECONDS = 0.15


class PyAutoGuiDriver:
    """Mouse and keyboard through PyAutoGUI, with its fail-safe corner kept on and no pause."""

    name = "pyautogui"

    def __init__(self, stop: StopFlag | None = None) -> None:
        require_display()
        import pyautogui

        pyautogui.PAUSE = 0
        pyautogui.FAILSAFE = True
        self._gui: Any = pyautogui
        self.stop = stop or StopFlag()

    def _do(self, func: Any, *args: Any, **kwargs: Any) -> None:
        self.stop.check()
        try:
            func(*args, **kwargs)
        except self._gui.FailSafeException:
            self.stop.set("PyAutoGUI fail-safe: the pointer reached a screen corner")
            raise Stopped("stopped: PyAutoGUI fail-safe (pointer in a screen corner)") from None

    def move(self, x: int, y: int) -> None:
        """Move the pointer."""
        self._do(self._gui.moveTo, x, y)

    def click(self, x: int, y: int, *, button: Button = "left", clicks: int = 1) -> None:
        """Click at (x, y)."""
        self._do(self._gui.click, x, y, clicks=clicks, interval=CLICK_INTERVAL, button=button)

    def drag(
        self, start: tuple[int, int], end: tuple[int, int], *, button: Button = "left"
    ) -> None:
        """Press at start, glide to end, release."""
        self._do(self._gui.moveTo, *start)
        self._do(self._gui.mouseDown, button=button)
        try:
            self._do(self._gui.moveTo, *end, duration=_DRAG_SECONDS)
        finally:
            self._gui.mouseUp(button=button)

    def scroll(self, x: int, y: int, *, dx: int, dy: int) -> None:
        """Scroll; PyAutoGUI's vertical sign is the opposite of ours (> 0 is up there)."""
        self._do(self._gui.moveTo, x, y)
        for index, (step_x, step_y) in enumerate(wheel_steps(dx, dy)):
            if index:
                time.sleep(WHEEL_INTERVAL)
            if step_y:
                self._do(self._gui.scroll, -step_y, x=x, y=y)
            else:
                self._do(self._gui.hscroll, step_x, x=x, y=y)

    def type_text(self, text: str) -> None:
        """Type one character at a time, checking the stop flag before each."""
        mapping = getattr(self._gui.platformModule, "keyboardMapping", None)
        typeable = {k for k, v in mapping.items() if v} if mapping else set(self._gui.KEYBOARD_KEYS)
        untypeable = sorted({c for c in text if c not in typeable})
        if untypeable:
            raise ActionFailed(
                f"PyAutoGUI cannot type {untypeable[:5]}; use the pynput driver for such text"
            )
        for char in text:
            self._do(self._gui.write, char)

    def press_keys(self, keys: Sequence[str]) -> None:
        """Press a combination such as ('ctrl', 's')."""
        names = [_PYAUTOGUI_KEYS.get(k, k) for k in keys]
        self._do(self._gui.hotkey, *names)
