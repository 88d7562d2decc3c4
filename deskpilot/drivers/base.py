"""The input-driver protocol: the only surface through which deskpilot touches mouse and keyboard.

Coordinates are driver (physical screen) pixels, already mapped by `deskpilot.coords`. A driver checks
its stop flag before every primitive, including each typed character, so a kill switch takes effect
mid-action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

Button = Literal["left", "right", "middle"]

# Toolkits drop wheel clicks that arrive within the same millisecond (Tk 8.6 lost 14 of 120 sent
# back to back); drivers send them one at a time, this far apart.
WHEEL_INTERVAL = 0.008
# The same holds for the presses of a double or triple click: two presses in one millisecond were
# once seen by Tk as a single click (CI, a loaded 2-core machine). Far below any double-click time.
CLICK_INTERVAL = 0.03


def wheel_steps(dx: int, dy: int) -> list[tuple[int, int]]:
    """One (dx, dy) unit step per wheel click: vertical clicks first, then horizontal ones."""
    vertical = [(0, 1 if dy > 0 else -1)] * abs(dy)
    horizontal = [(1 if dx > 0 else -1, 0)] * abs(dx)
    return vertical + horizontal


@runtime_checkable
class InputDriver(Protocol):
    """Mouse and keyboard primitives, in driver pixels."""

    name: str

    def move(self, x: int, y: int) -> None:
        """Move the pointer to (x, y)."""

    def click(self, x: int, y: int, *, button: Button = "left", clicks: int = 1) -> None:
        """Click ``clicks`` times with ``button`` at (x, y)."""

    def drag(
        self, start: tuple[int, int], end: tuple[int, int], *, button: Button = "left"
    ) -> None:
        """Press ``button`` at ``start``, move to ``end`` and release."""

    def scroll(self, x: int, y: int, *, dx: int, dy: int) -> None:
        """Scroll at (x, y): ``dy`` > 0 scrolls down, ``dx`` > 0 scrolls right (wheel clicks)."""

    def type_text(self, text: str) -> None:
        """Type ``text`` character by character."""

    def press_keys(self, keys: Sequence[str]) -> None:
        """Press a key combination: hold all but the last key, tap the last, release in reverse."""
