"""The stop flag: raised by the kill switch, the budgets and the task timers; checked by drivers
before every primitive and by waits and running commands. On the ground floor, so that every
package can hold one."""

from __future__ import annotations

import threading

from deskpilot.errors import ActionFailed

__all__ = ["StopFlag", "Stopped"]


class Stopped(ActionFailed):
    """The stop flag was raised while an action was running."""


class StopFlag:
    """A thread-safe flag a kill switch raises and drivers check before every primitive."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str = "stop requested") -> None:
        """Raise the flag; every driver primitive after this raises `Stopped`."""
        self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        """Whether the flag is raised."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True at once if the flag is raised meanwhile."""
        return self._event.wait(seconds)

    def check(self) -> None:
        """Raise `Stopped` if the flag is raised."""
        if self._event.is_set():
            raise Stopped(f"stopped: {self.reason}")
