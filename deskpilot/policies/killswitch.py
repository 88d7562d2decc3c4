"""The kill switch: a global hotkey that raises the stop flag, watched by a heartbeat.

A pynput listener sees every key on the display; events the agent's own pynput driver injects
(``injected``) are ignored. If the listener dies, the watchdog raises the stop flag: a run never
goes on without its kill switch.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.keys import pressed_keys
from deskpilot.stopflag import StopFlag

WATCH_INTERVAL = 0.1
_MODIFIER_NAMES = {"ctrl": "ctrl", "alt": "alt", "alt_gr": "alt", "shift": "shift", "cmd": "super"}


class KillSwitch:
    """Raises ``stop`` when ``hotkey`` (e.g. ``ctrl+alt+k``) is pressed on the real keyboard."""

    def __init__(self, stop: StopFlag, hotkey: str = "ctrl+alt+k") -> None:
        try:
            self.keys = pressed_keys(hotkey)
        except ValueError as exc:
            raise UsageError(f"kill-switch hotkey: {exc}") from None
        self.hotkey = hotkey
        self.stop = stop
        self._pressed: set[str] = set()
        self._listener: Any = None
        self._closing = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _name(self, key: Any) -> str | None:
        key = self._listener.canonical(key)
        name = getattr(key, "name", None)
        if name is not None:
            return str(_MODIFIER_NAMES.get(name, name))
        char = getattr(key, "char", None)
        return char.lower() if isinstance(char, str) else None

    def _on_press(self, key: Any, injected: bool = False) -> None:
        if injected:
            return
        name = self._name(key)
        if name:
            self._pressed.add(name)
        if self.keys <= self._pressed:
            self.stop.set(f"kill switch ({self.hotkey}) pressed")

    def _on_release(self, key: Any, injected: bool = False) -> None:
        if not injected:
            self._pressed.discard(self._name(key) or "")

    def start(self) -> KillSwitch:
        """Start the listener and its watchdog; raise `UsageError` if it cannot listen."""
        try:
            from pynput import keyboard

            self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
            self._listener.start()
            self._listener.wait()
        except Exception as exc:
            raise UsageError(f"the kill switch cannot listen to the keyboard: {exc}") from None
        self._watchdog = threading.Thread(
            target=self._watch, name="deskpilot-killswitch", daemon=True
        )
        self._watchdog.start()
        return self

    def _watch(self) -> None:
        while not self._closing.wait(WATCH_INTERVAL):
            if not self._listener.is_alive():
                self.stop.set("the kill-switch listener died")
                return

    def close(self) -> None:
        """Stop listening."""
        self._closing.set()
        if self._listener is not None:
            self._listener.stop()
            # pynput's X11 listener only notices the stop at the next key event; disabling the
            # record context from its second connection ends it now.
            with contextlib.suppress(Exception):
                self._listener._display_stop.record_disable_context(self._listener._context)
                self._listener._display_stop.flush()
            self._listener.join(timeout=2)
        if self._watchdog is not None:
            self._watchdog.join()
