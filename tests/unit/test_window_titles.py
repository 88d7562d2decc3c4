"""The suite checkers' window titles: a window that closes while the list is read is left out,
the others kept (a fake X display; the real one is exercised by the suite's desktop tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskpilot.suites.checkers import listed_titles


class Gone(Exception):
    """What Xlib raises for a window that no longer exists (BadWindow)."""


@dataclass
class Property:
    value: Any


@dataclass
class Window:
    wid: int
    titles: dict[int, bytes | None]

    def get_full_property(self, atom: str, kind: int) -> Property | None:
        if self.wid not in self.titles:
            raise Gone(self.wid)
        title = self.titles[self.wid]
        return Property(title) if title is not None and atom == "_NET_WM_NAME" else None

    def get_wm_name(self) -> str:
        return "legacy"


@dataclass
class Display:
    listed: list[int]
    titles: dict[int, bytes | None] = field(default_factory=dict)

    def screen(self) -> Any:
        display = self

        class Screen:
            class root:
                @staticmethod
                def get_full_property(atom: str, kind: int) -> Property:
                    return Property(display.listed)

        return Screen

    def intern_atom(self, name: str) -> str:
        return name

    def create_resource_object(self, kind: str, wid: int) -> Window:
        return Window(wid, self.titles)


def test_a_window_gone_mid_read_is_left_out_and_the_others_kept() -> None:
    dpy = Display(listed=[1, 2, 3], titles={1: b"Calculator", 3: None})  # 2 has closed
    assert listed_titles(dpy, 0) == ["Calculator", "legacy"]
    assert listed_titles(Display(listed=[]), 0) == []
