"""Input drivers: the protocol, the real ones (imported lazily) and a recording fake."""

from __future__ import annotations

from deskpilot.drivers.base import Button, InputDriver
from deskpilot.drivers.recording import RecordingDriver
from deskpilot.errors import UsageError
from deskpilot.stopflag import StopFlag

DRIVER_NAMES = ("pyautogui", "pynput")


def create_driver(name: str, stop: StopFlag | None = None) -> InputDriver:
    """Create the named real driver; it imports its library only now (it needs a display)."""
    if name == "pyautogui":
        from deskpilot.drivers.pyautogui_driver import PyAutoGuiDriver

        return PyAutoGuiDriver(stop)
    if name == "pynput":
        from deskpilot.drivers.pynput_driver import PynputDriver

        return PynputDriver(stop)
    raise UsageError(f"unknown driver {name!r}; choose one of {', '.join(DRIVER_NAMES)}")


__all__ = [
    "DRIVER_NAMES",
    "Button",
    "InputDriver",
    "RecordingDriver",
    "create_driver",
]
