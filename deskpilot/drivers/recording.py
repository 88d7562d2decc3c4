"""A driver that records calls instead of touching the OS: the fake for fast tests and dry runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from deskpilot.drivers.base import Button
from deskpilot.stopflag import StopFlag


@dataclass
class RecordingDriver:
    """Records every primitive as ``(method, kwargs)``; checks the stop flag like a real driver."""

    stop: StopFlag = field(default_factory=StopFlag)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    name: str = "recording"

    def _record(self, method: str, **kwargs: Any) -> None:
        self.stop.check()
        self.calls.append((method, kwargs))

    def move(self, x: int, y: int) -> None:
        """Record a pointer move."""
        self._record("move", x=x, y=y)

    def click(self, x: int, y: int, *, button: Button = "left", clicks: int = 1) -> None:
        """Record a click."""
        self._record("click", x=x, y=y, button=button, clicks=clicks)

    def drag(
        self, start: tuple[int, int], end: tuple[int, int], *, button: Button = "left"
    ) -> None:
        """Record a drag."""
        self._record("drag", start=start, end=end, button=button)

    def scroll(self, x: int, y: int, *, dx: int, dy: int) -> None:
        """Record a scroll."""
        self._record("scroll", x=x, y=y, dx=dx, dy=dy)

    def type_text(self, text: str) -> None:
        """Record typing, one primitive per character (as real drivers do)."""
        for char in text:
            self._record("type_char", char=char)

    def press_keys(self, keys: Sequence[str]) -> None:
        """Record a key combination."""
        self._record("press_keys", keys=tuple(keys))
